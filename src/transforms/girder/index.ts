// The Girder transforms and result hooks, listed one by one in src/index.ts.
export { GirderFileIdToVolume, type GirderFileIdToVolumeOptions } from './girder-file-id-to-volume.js';
export { GirderFileIdToStream, type GirderFileIdToStreamOptions } from './girder-file-id-to-stream.js';
export { GirderItemIdToVolume, type GirderItemIdToVolumeOptions } from './girder-item-id-to-volume.js';
export { GirderFolderIdToVolume, type GirderFolderIdToVolumeOptions } from './girder-folder-id-to-volume.js';
export {
  GirderUploadVolumePathToItem,
  type GirderUploadVolumePathToItemOptions,
} from './girder-upload-volume-path-to-item.js';
export {
  GirderUploadVolumePathToFolder,
  type GirderUploadVolumePathToFolderOptions,
} from './girder-upload-volume-path-to-folder.js';
export { GirderUploadVolumePathJobArtifact } from './girder-upload-volume-path-job-artifact.js';
export { GirderUploadJobArtifact } from './girder-upload-job-artifact.js';
export type { GirderJobArtifactOptions } from './girder-job-artifact-hook.js';
export { GirderUploadStream, type GirderUploadStreamOptions } from './girder-upload-stream.js';
