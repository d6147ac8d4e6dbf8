import { lstat } from 'node:fs/promises';
import { ValidationError } from '../../core/errors.js';
import type { TaskContext } from '../../execution/task-context.js';
import type { ResultHook, TaskOutcome } from '../transform.js';
import type { GirderConnection } from '../../girder/girder-connection.js';
import {
  checkBoolean,
  checkConnection,
  checkOptionalFileName,
  checkOptionalObjectId,
} from '../../girder/girder-args.js';
import { uploadJobArtifacts } from '../../girder/upload/job-artifacts.js';
import { checkOptions, warnings } from './girder-upload-hook-args.js';

export interface GirderJobArtifactOptions {
  /** The job; by default the Girder job that follows the task. */
  jobId?: string | null | undefined;
  /** The artifact's name when the path is a file (its own name by default). */
  name?: string | null | undefined;
  /** Upload after a failed container too (default false): its logs are often what explains it. */
  uploadOnException?: boolean | undefined;
  /** A Girder connection of its own; the task's when null or absent. */
  gc?: GirderConnection | null | undefined;
}

/**
 * What both artifact hooks share: their checked options, the checks before the container runs
 * (a Girder, a job), and the upload of whatever is at their host path. Returns the job id (null
 * when nothing was there).
 */
export abstract class JobArtifactHook implements ResultHook {
  readonly jobId: string | null;
  readonly name: string | null;
  readonly uploadOnException: boolean;
  readonly gc: GirderConnection | null;
  readonly runOnFailure: boolean;

  constructor(options: GirderJobArtifactOptions | undefined) {
    const opts = checkOptions(options);
    this.jobId = checkOptionalObjectId('jobId', opts.jobId);
    this.name = checkOptionalFileName('name', opts.name);
    this.uploadOnException = checkBoolean('uploadOnException', opts.uploadOnException, false);
    this.gc = checkConnection(opts.gc);
    this.runOnFailure = this.uploadOnException;
  }

  /** Where the artifacts are on this host, for this task. */
  protected abstract hostPath(ctx: TaskContext): Promise<string>;

  /** A task without Girder or without a job fails before its container runs. */
  // eslint-disable-next-line @typescript-eslint/require-await -- async so that these checks reject rather than throw
  async prepare(ctx: TaskContext): Promise<void> {
    ctx.girder(this.gc);
    artifactJobId(ctx, this.jobId);
  }

  async run(ctx: TaskContext, _outcome: TaskOutcome): Promise<string | null> {
    return uploadArtifactsOf(ctx, this, await this.hostPath(ctx));
  }

  /** "job <id>" or "the task's job", for toString. */
  protected describeJob(): string {
    return this.jobId ? `job ${this.jobId}` : "the task's job";
  }
}

/** The hook's job, else the task's; neither is a ValidationError naming jobId. */
export function artifactJobId(ctx: TaskContext, jobId: string | null): string {
  const id = jobId ?? ctx.girderJobId;
  if (id === undefined) {
    throw new ValidationError(
      'jobId',
      jobId,
      'a Girder job id: the task has no Girder job, so the artifact hook needs its own jobId',
    );
  }
  return id;
}

/**
 * Uploads what is at `hostPath` as artifacts of the job; returns the job id. A missing path
 * uploads nothing and returns null (after a failure the container may never have written it), and
 * the job id is required only when there is something to upload.
 */
async function uploadArtifactsOf(
  ctx: TaskContext,
  hook: JobArtifactHook,
  hostPath: string,
): Promise<string | null> {
  if (!(await exists(hostPath))) return null;
  const jobId = artifactJobId(ctx, hook.jobId);
  await uploadJobArtifacts(ctx.girder(hook.gc), hostPath, {
    jobId,
    name: hook.name,
    signal: ctx.signal,
    fallbackFolderId: ctx.artifactFolderId,
    warn: warnings(ctx),
  });
  return jobId;
}

async function exists(hostPath: string): Promise<boolean> {
  try {
    await lstat(hostPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
