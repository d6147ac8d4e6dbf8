import type { TaskContext } from '../../task/task-context.js';
import type { ResultHook, TaskOutcome } from '../../transforms/transform.js';
import type { GirderConnection } from '../girder-connection.js';
import { checkAbsoluteHostPath } from '../girder-args.js';
import {
  artifactJobId,
  checkArtifactOptions,
  uploadArtifactsOf,
  type GirderJobArtifactOptions,
} from './girder-job-artifact-hook.js';

/**
 * A result hook (girder_worker_utils' `GirderUploadJobArtifact`): uploads a file, or the regular
 * files directly inside a directory, at an absolute path of this host as artifacts of a Girder
 * job, as `GirderUploadVolumePathJobArtifact` does for a VolumePath (same options, same fallback
 * when the server has no artifact route). Returns the job id (null when nothing was there).
 */
export class GirderUploadJobArtifact implements ResultHook {
  readonly path: string;
  readonly jobId: string | null;
  readonly name: string | null;
  readonly uploadOnException: boolean;
  readonly gc: GirderConnection | null;
  readonly runOnFailure: boolean;

  constructor(path: string, options: GirderJobArtifactOptions = {}) {
    this.path = checkAbsoluteHostPath('path', path);
    const { jobId, name, uploadOnException, gc } = checkArtifactOptions(options);
    this.jobId = jobId;
    this.name = name;
    this.uploadOnException = uploadOnException;
    this.gc = gc;
    this.runOnFailure = uploadOnException;
  }

  /** A task without Girder or without a job fails before its container runs. */
  async prepare(ctx: TaskContext): Promise<void> {
    ctx.girder(this.gc);
    artifactJobId(ctx, this.jobId);
  }

  async run(ctx: TaskContext, _outcome: TaskOutcome): Promise<string | null> {
    return uploadArtifactsOf(ctx, this, this.path);
  }

  toString(): string {
    return `GirderUploadJobArtifact(${JSON.stringify(this.path)} -> ${this.jobId ? `job ${this.jobId}` : "the task's job"})`;
  }
}
