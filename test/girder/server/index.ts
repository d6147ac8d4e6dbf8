// The Girder test server: an in-process stand-in for Girder's REST API (see girder-test-server.ts).
export { startGirderTestServer } from './girder-test-server.js';
export type {
  GirderTestServer,
  GirderTestServerOptions,
  JobInfoSpec,
  RecordedRequest,
} from './server-api.js';
export type { Doc } from './store.js';
export type { FaultMatch } from './faults.js';
export { TokenScope } from './auth.js';
export { JobStatus, CustomJobStatus } from './job-model.js';
export { UPLOAD_MINIMUM_CHUNK_SIZE } from './uploads.js';
export { GIRDER_RELEASE } from './system-routes.js';
export { pseudoRandomBytes } from './file-storage.js';
export { parseRanges } from './download.js';
export { toGirderJson, pythonIsoFormat } from './girder-json.js';
