import type { GirderJob } from '../girder/documents.js';
import type { Reporter } from './reporter.js';

/**
 * @internal What follows a task from before it is sent or started: a Girder job, created first.
 * A message is published only once `headers` (what a worker needs to update the job) resolve; a
 * run in this process goes through `follow`.
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
