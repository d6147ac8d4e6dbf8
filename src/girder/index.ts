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
export { GirderUploadError } from './upload/upload-error.js';
export { uploadFileToItem, type UploadFileOptions } from './upload/upload-file-to-item.js';
export { uploadFileToFolder } from './upload/upload-file-to-folder.js';
export { uploadPathToItem, type UploadPathOptions } from './upload/upload-path-to-item.js';
export { uploadPathToFolder } from './upload/upload-path-to-folder.js';
export type { UploadedFile } from './upload/uploaded-file.js';
export { uploadJobArtifacts, type JobArtifactOptions, type JobArtifacts } from './upload/job-artifacts.js';
export {
  GirderUploadVolumePathToItem,
  type GirderUploadVolumePathToItemOptions,
} from './transforms/girder-upload-volume-path-to-item.js';
export {
  GirderUploadVolumePathToFolder,
  type GirderUploadVolumePathToFolderOptions,
} from './transforms/girder-upload-volume-path-to-folder.js';
export { GirderUploadVolumePathJobArtifact } from './transforms/girder-upload-volume-path-job-artifact.js';
export { GirderUploadJobArtifact } from './transforms/girder-upload-job-artifact.js';
export type { GirderJobArtifactOptions } from './transforms/girder-job-artifact-hook.js';
export { GirderUploadStream, type GirderUploadStreamOptions } from './transforms/girder-upload-stream.js';
