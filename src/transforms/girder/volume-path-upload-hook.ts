import type { TaskContext } from '../../execution/task-context.js';
import type { ResultHook, TaskOutcome } from '../transform.js';
import type { VolumePath } from '../volume-path.js';
import { checkBoolean, checkConnection } from '../../girder/girder-args.js';
import type { GirderClient } from '../../girder/girder-client.js';
import type { GirderConnection } from '../../girder/girder-connection.js';
import { checkOptions, checkVolumePath, warnings } from './girder-upload-hook-args.js';

export interface VolumePathUploadOptions {
  /** Remove the file (or directory) once uploaded (default false). */
  deleteFile?: boolean | undefined;
  /** A Girder connection of its own; the task's when null or absent. */
  gc?: GirderConnection | null | undefined;
}

export interface UploadCall {
  deleteFile: boolean;
  signal: AbortSignal;
  warn: (message: string) => void;
}

/**
 * What the hooks that upload a VolumePath to a Girder parent share: their checked arguments, the
 * volume mounted before the container starts (and a Girder required), and the upload after it.
 * Returns the parent's id.
 */
export abstract class VolumePathUploadHook implements ResultHook {
  readonly volumePath: VolumePath;
  readonly deleteFile: boolean;
  readonly gc: GirderConnection | null;

  constructor(volumePath: VolumePath, options: VolumePathUploadOptions | undefined) {
    const opts = checkOptions(options);
    this.volumePath = checkVolumePath(volumePath);
    this.deleteFile = checkBoolean('deleteFile', opts.deleteFile, false);
    this.gc = checkConnection(opts.gc);
  }

  /** The id of the item or folder that receives the upload. */
  protected abstract get parentId(): string;

  protected abstract upload(client: GirderClient, hostPath: string, call: UploadCall): Promise<unknown>;

  /** Mounts the volume so the container can write the path, and fails early without a Girder. */
  async prepare(ctx: TaskContext): Promise<void> {
    await this.volumePath.resolve(ctx);
    ctx.girder(this.gc);
  }

  async run(ctx: TaskContext, _outcome: TaskOutcome): Promise<string> {
    await this.upload(ctx.girder(this.gc), await this.volumePath.hostPath(ctx), {
      deleteFile: this.deleteFile,
      signal: ctx.signal,
      warn: warnings(ctx),
    });
    return this.parentId;
  }
}
