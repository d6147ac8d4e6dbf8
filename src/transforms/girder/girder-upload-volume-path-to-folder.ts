import type { VolumePath } from '../volume-path.js';
import { checkObjectId } from '../../girder/girder-args.js';
import type { GirderClient } from '../../girder/girder-client.js';
import { uploadPathToFolder } from '../../girder/upload/upload-path-to-folder.js';
import {
  VolumePathUploadHook,
  type UploadCall,
  type VolumePathUploadOptions,
} from './volume-path-upload-hook.js';

export type GirderUploadVolumePathToFolderOptions = VolumePathUploadOptions;

/**
 * A result hook (Girder Worker's `GirderUploadVolumePathToFolder`): after the container, uploads
 * the file at a VolumePath into a Girder folder, or, for a directory, its contents recursively
 * (sub-directories become sub-folders, reused when they exist; symbolic links are not followed).
 * Each file becomes an item of its name. Returns the folder id.
 */
export class GirderUploadVolumePathToFolder extends VolumePathUploadHook {
  readonly folderId: string;

  constructor(volumePath: VolumePath, folderId: string, options: GirderUploadVolumePathToFolderOptions = {}) {
    super(volumePath, options);
    this.folderId = checkObjectId('folderId', folderId);
  }

  protected override get parentId(): string {
    return this.folderId;
  }

  protected override upload(client: GirderClient, hostPath: string, call: UploadCall): Promise<unknown> {
    return uploadPathToFolder(client, this.folderId, hostPath, call);
  }

  override toString(): string {
    return `GirderUploadVolumePathToFolder(${String(this.volumePath)} -> folder ${this.folderId})`;
  }
}
