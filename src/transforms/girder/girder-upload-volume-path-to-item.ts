import type { VolumePath } from '../volume-path.js';
import { checkObjectId } from '../../girder/girder-args.js';
import type { GirderClient } from '../../girder/girder-client.js';
import { uploadPathToItem } from '../../girder/upload/upload-path-to-item.js';
import {
  VolumePathUploadHook,
  type UploadCall,
  type VolumePathUploadOptions,
} from './volume-path-upload-hook.js';

export type GirderUploadVolumePathToItemOptions = VolumePathUploadOptions;

/**
 * A result hook (Girder Worker's `GirderUploadVolumePathToItem`): after the container, uploads
 * the file at a VolumePath, or the regular files directly inside it when it is a directory,
 * into a Girder item. A file of the same name and size already in the item is kept; one of
 * another size has its contents replaced. Returns the item id.
 *
 *   const out = new VolumePath('out.txt');
 *   dockerRun.delay(image, { containerArgs: [out], girderResultHooks: [new GirderUploadVolumePathToItem(out, itemId)] });
 */
export class GirderUploadVolumePathToItem extends VolumePathUploadHook {
  readonly itemId: string;

  constructor(volumePath: VolumePath, itemId: string, options: GirderUploadVolumePathToItemOptions = {}) {
    super(volumePath, options);
    this.itemId = checkObjectId('itemId', itemId);
  }

  protected override get parentId(): string {
    return this.itemId;
  }

  protected override upload(client: GirderClient, hostPath: string, call: UploadCall): Promise<unknown> {
    return uploadPathToItem(client, this.itemId, hostPath, call);
  }

  override toString(): string {
    return `GirderUploadVolumePathToItem(${String(this.volumePath)} -> item ${this.itemId})`;
  }
}
