import type { TaskContext } from '../../task/task-context.js';
import type { ResultHook, TaskOutcome } from '../../transforms/transform.js';
import type { VolumePath } from '../../transforms/volume-path.js';
import type { GirderConnection } from '../girder-connection.js';
import {
  artifactJobId,
  checkArtifactOptions,
  uploadArtifactsOf,
  type GirderJobArtifactOptions,
} from './girder-job-artifact-hook.js';
import { checkVolumePath } from './girder-upload-hook-args.js';

/**
 * A result hook (Girder Worker's `GirderUploadVolumePathJobArtifact`): after the container,
 * uploads the file at a VolumePath, or the regular files directly inside it, as artifacts of a
 * Girder job (`POST job/{id}/artifact`); with `uploadOnException`, after a failed container too,
 * and then its own failure is only a warning, never the task's error. A missing path is a no-op.
 *
 * Released Girder versions have no artifact route: the task does not fail for that; one warning
 * names the route and the artifacts, and with `configure({ girder: { artifactFolderId } })` they
 * go to a sub-folder named after the job instead. Returns the job id (null when nothing was there).
 */
export class GirderUploadVolumePathJobArtifact implements ResultHook {
  readonly volumePath: VolumePath;
  readonly jobId: string | null;
  readonly name: string | null;
  readonly uploadOnException: boolean;
  readonly gc: GirderConnection | null;
  readonly runOnFailure: boolean;

  constructor(volumePath: VolumePath, options: GirderJobArtifactOptions = {}) {
    this.volumePath = checkVolumePath(volumePath);
    const { jobId, name, uploadOnException, gc } = checkArtifactOptions(options);
    this.jobId = jobId;
    this.name = name;
    this.uploadOnException = uploadOnException;
    this.gc = gc;
    this.runOnFailure = uploadOnException;
  }

  /** Mounts the volume; a task without Girder or without a job fails before its container runs. */
  async prepare(ctx: TaskContext): Promise<void> {
    await this.volumePath.resolve(ctx);
    ctx.girder(this.gc);
    artifactJobId(ctx, this.jobId);
  }

  async run(ctx: TaskContext, _outcome: TaskOutcome): Promise<string | null> {
    return uploadArtifactsOf(ctx, this, await this.volumePath.hostPath(ctx));
  }

  toString(): string {
    return `GirderUploadVolumePathJobArtifact(${String(this.volumePath)} -> ${this.jobId ? `job ${this.jobId}` : "the task's job"})`;
  }
}
