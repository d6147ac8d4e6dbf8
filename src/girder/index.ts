// The Girder room's public names, listed one by one in src/index.ts.
export { GirderClient, type GirderClientOptions, type RequestOptions } from './girder-client.js';
export { createGirderConnection, type GirderConnection } from './girder-connection.js';
export { GirderError, GirderHttpError, GirderConfigError, GirderTransferError } from './errors.js';
export { GirderUploadError } from './upload/upload-error.js';
export type { GirderFile, GirderItem, GirderFolder } from './documents.js';
export {
  GirderFileIdToVolume,
  type GirderFileIdToVolumeOptions,
} from '../transforms/girder/girder-file-id-to-volume.js';
export {
  GirderFileIdToStream,
  type GirderFileIdToStreamOptions,
} from '../transforms/girder/girder-file-id-to-stream.js';
export {
  GirderItemIdToVolume,
  type GirderItemIdToVolumeOptions,
} from '../transforms/girder/girder-item-id-to-volume.js';
export {
  GirderFolderIdToVolume,
  type GirderFolderIdToVolumeOptions,
} from '../transforms/girder/girder-folder-id-to-volume.js';
export { uploadFileToItem, type UploadFileOptions } from './upload/upload-file-to-item.js';
export { uploadFileToFolder } from './upload/upload-file-to-folder.js';
export { uploadPathToItem, type UploadPathOptions } from './upload/upload-path-to-item.js';
export { uploadPathToFolder } from './upload/upload-path-to-folder.js';
export type { UploadedFile } from './upload/uploaded-file.js';
export { uploadJobArtifacts, type JobArtifactOptions, type JobArtifacts } from './upload/job-artifacts.js';
export {
  GirderUploadVolumePathToItem,
  type GirderUploadVolumePathToItemOptions,
} from '../transforms/girder/girder-upload-volume-path-to-item.js';
export {
  GirderUploadVolumePathToFolder,
  type GirderUploadVolumePathToFolderOptions,
} from '../transforms/girder/girder-upload-volume-path-to-folder.js';
export { GirderUploadVolumePathJobArtifact } from '../transforms/girder/girder-upload-volume-path-job-artifact.js';
export { GirderUploadJobArtifact } from '../transforms/girder/girder-upload-job-artifact.js';
export type { GirderJobArtifactOptions } from '../transforms/girder/girder-job-artifact-hook.js';
export { GirderUploadStream, type GirderUploadStreamOptions } from '../transforms/girder/girder-upload-stream.js';
export { GirderJobReporter, type GirderJobReporterOptions, type JobOutcome } from '../girder-worker/job/job-reporter.js';
export { JobStatus, type JobStatusCode } from '../girder-worker/job/job-status.js';
export { buildJobInfoSpec, type JobInfoSpec } from '../girder-worker/job/job-info-spec.js';
export {
  createGirderJob,
  CREATE_JOB_SCOPE,
  type GirderJob,
  type GirderJobOptions,
} from '../girder-worker/job/create-job.js';
