// The Girder client's public names, listed one by one in src/index.ts.
export { GirderClient, type GirderClientOptions, type RequestOptions } from './girder-client.js';
export { createGirderConnection, type GirderConnection } from './girder-connection.js';
export { GirderError, GirderHttpError, GirderConfigError, GirderTransferError } from './errors.js';
export { GirderUploadError } from './upload/upload-error.js';
export type { GirderFile, GirderItem, GirderFolder } from './documents.js';
export { uploadFileToItem, type UploadFileOptions } from './upload/upload-file-to-item.js';
export { uploadFileToFolder } from './upload/upload-file-to-folder.js';
export { uploadPathToItem, type UploadPathOptions } from './upload/upload-path-to-item.js';
export { uploadPathToFolder } from './upload/upload-path-to-folder.js';
export type { UploadedFile } from './upload/uploaded-file.js';
export { uploadJobArtifacts, type JobArtifactOptions, type JobArtifacts } from './upload/job-artifacts.js';
