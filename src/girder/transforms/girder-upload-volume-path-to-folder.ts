import type { TaskContext } from '../../task/task-context.js';
import type { ResultHook, TaskOutcome } from '../../transforms/transform.js';
import type { VolumePath } from '../../transforms/volume-path.js';
import type { GirderConnection } from '../girder-connection.js';
import { checkBoolean, checkConnection, checkObjectId } from '../girder-args.js';
import { uploadPathToFolder } from '../upload/upload-path-to-folder.js';
import { checkOptions, checkVolumePath, warnings } from './girder-upload-hook-args.js';

export interface GirderUploadVolumePathToFolderOptions {
  /** Remove the file (or directory) once uploaded (default false). */
  deleteFile?: boolean | undefined;
  /** A Girder connection of its own; the task's when null or absent. */
  gc?: GirderConnection | null | undefined;
}

/**
 * A result hook (Girder Worker's `GirderUploadVolumePathToFolder`): after the container, uploads
 * the file at a VolumePath into a Girder folder, or, for a directory, its contents recursively
 * (sub-directories become sub-folders, reused when they exist; symbolic links are not followed).
 * Each file becomes an item of its name. Returns the folder id.
 */
export class GirderUploadVolumePathToFolder implements ResultHook {
  readonly volumePath: VolumePath;
  readonly folderId: string;
  readonly deleteFile: boolean;
  readonly gc: GirderConnection | null;

  constructor(volumePath: VolumePath, folderId: string, options: GirderUploadVolumePathToFolderOptions = {}) {
    const opts = checkOptions(options);
    this.volumePath = checkVolumePath(volumePath);
    this.folderId = checkObjectId('folderId', folderId);
    this.deleteFile = checkBoolean('deleteFile', opts.deleteFile, false);
    this.gc = checkConnection(opts.gc);
  }

  /** Mounts the volume so the container can write the path, and fails early without a Girder. */
  async prepare(ctx: TaskContext): Promise<void> {
    await this.volumePath.resolve(ctx);
    ctx.girder(this.gc);
  }

  async run(ctx: TaskContext, _outcome: TaskOutcome): Promise<string> {
    await uploadPathToFolder(ctx.girder(this.gc), this.folderId, await this.volumePath.hostPath(ctx), {
      deleteFile: this.deleteFile,
      signal: ctx.signal,
      warn: warnings(ctx),
    });
    return this.folderId;
  }

  toString(): string {
    return `GirderUploadVolumePathToFolder(${String(this.volumePath)} -> folder ${this.folderId})`;
  }
}
