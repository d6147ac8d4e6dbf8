// The Girder room's public names; src/index.ts re-exports them.
export { GirderClient, type GirderClientOptions, type RequestOptions } from './girder-client.js';
export { createGirderConnection, type GirderConnection } from './girder-connection.js';
export { GirderError, GirderHttpError, GirderConfigError, GirderTransferError } from './errors.js';
export type { GirderFile, GirderItem, GirderFolder } from './documents.js';
export {
  GirderFileIdToVolume,
  type GirderFileIdToVolumeOptions,
} from './transforms/girder-file-id-to-volume.js';
export {
  GirderFileIdToStream,
  type GirderFileIdToStreamOptions,
} from './transforms/girder-file-id-to-stream.js';
export {
  GirderItemIdToVolume,
  type GirderItemIdToVolumeOptions,
} from './transforms/girder-item-id-to-volume.js';
export {
  GirderFolderIdToVolume,
  type GirderFolderIdToVolumeOptions,
} from './transforms/girder-folder-id-to-volume.js';
