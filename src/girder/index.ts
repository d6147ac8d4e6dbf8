// The Girder room's public names, listed one by one in src/index.ts.
export { GirderClient, type GirderClientOptions, type RequestOptions } from './girder-client.js';
export { createGirderConnection, type GirderConnection } from './girder-connection.js';
export { GirderError, GirderHttpError, GirderConfigError, GirderTransferError } from './errors.js';
export { GirderUploadError } from './upload/upload-error.js';
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
export { GirderJobReporter, type GirderJobReporterOptions, type JobOutcome } from './job/job-reporter.js';
export { JobStatus, type JobStatusCode } from './job/job-status.js';
export { buildJobInfoSpec, type JobInfoSpec } from './job/job-info-spec.js';
export {
  createGirderJob,
  CREATE_JOB_SCOPE,
  type GirderJob,
  type GirderJobOptions,
} from './job/create-job.js';
