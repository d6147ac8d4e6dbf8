import type { GirderJob } from '../girder/documents.js';
import type { Reporter } from './reporter.js';

/**
 * What follows a task from before it is sent or started: a Girder job, created first.
 * A message is published only once `headers` (what a worker needs to update the job) resolve; a
 * run in this process goes through `follow`. Not in the public API, but kept in the declarations
 * (not stripped as internal): TaskJob's, which implements it, must still find it.
 */
export interface TaskFollower {
  readonly headers: Promise<Record<string, unknown>>;
  /** What the handle exposes as `job`. */
  readonly job: Promise<GirderJob>;
  follow<R>(
    run: (reporter: Reporter, girderJobId: string) => Promise<R>,
    reporter: Reporter,
    signal: AbortSignal,
  ): Promise<R>;
}
