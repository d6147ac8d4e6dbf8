import type { TaskContext } from '../../task/task-context.js';
import type { ResultHook, TaskOutcome } from '../../transforms/transform.js';
import type { VolumePath } from '../../transforms/volume-path.js';
import type { GirderConnection } from '../girder-connection.js';
import { checkBoolean, checkConnection, checkObjectId } from '../girder-args.js';
import { uploadPathToItem } from '../upload/upload-path-to-item.js';
import { checkOptions, checkVolumePath, warnings } from './girder-upload-hook-args.js';

export interface GirderUploadVolumePathToItemOptions {
  /** Remove the file (or directory) once uploaded (default false). */
  deleteFile?: boolean | undefined;
  /** A Girder connection of its own; the task's when null or absent. */
  gc?: GirderConnection | null | undefined;
}

/**
 * A result hook (Girder Worker's `GirderUploadVolumePathToItem`): after the container, uploads
 * the file at a VolumePath, or the regular files directly inside it when it is a directory,
 * into a Girder item. A file of the same name and size already in the item is kept; one of
 * another size has its contents replaced. Returns the item id.
 *
 *   const out = new VolumePath('out.txt');
 *   dockerRun.delay(image, { containerArgs: [out], girderResultHooks: [new GirderUploadVolumePathToItem(out, itemId)] });
 */
export class GirderUploadVolumePathToItem implements ResultHook {
  readonly volumePath: VolumePath;
  readonly itemId: string;
  readonly deleteFile: boolean;
  readonly gc: GirderConnection | null;

  constructor(volumePath: VolumePath, itemId: string, options: GirderUploadVolumePathToItemOptions = {}) {
    const opts = checkOptions(options);
    this.volumePath = checkVolumePath(volumePath);
    this.itemId = checkObjectId('itemId', itemId);
    this.deleteFile = checkBoolean('deleteFile', opts.deleteFile, false);
    this.gc = checkConnection(opts.gc);
  }

  /** Mounts the volume so the container can write the path, and fails early without a Girder. */
  async prepare(ctx: TaskContext): Promise<void> {
    await this.volumePath.resolve(ctx);
    ctx.girder(this.gc);
  }

  async run(ctx: TaskContext, _outcome: TaskOutcome): Promise<string> {
    await uploadPathToItem(ctx.girder(this.gc), this.itemId, await this.volumePath.hostPath(ctx), {
      deleteFile: this.deleteFile,
      signal: ctx.signal,
      warn: warnings(ctx),
    });
    return this.itemId;
  }

  toString(): string {
    return `GirderUploadVolumePathToItem(${String(this.volumePath)} -> item ${this.itemId})`;
  }
}
