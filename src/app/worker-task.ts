import type { Logger } from '../core/logger.js';
import { TaskCancelledError } from '../core/errors.js';
import type { TaskRequest } from '../celery/protocol/parse-task-message.js';
import type { Reporter } from '../execution/reporter.js';

/** What a worker hands to a task it runs. */
export interface WorkerExecution {
  signal: AbortSignal;
  reporter: Reporter;
  /** The worker's own logger for this task (what the worker says about it, not its output). */
  logger: Logger;
  /**
   * The worker's policy for what a message may ask of the host (docker_run checks it; its
   * schema lives in docker-run/policy, which this layer does not know). Undefined: the task's
   * secure default.
   */
  policy?: unknown;
}

/** A task as a worker runs it: from a validated request to a JSON-able result. */
export interface WorkerTask {
  readonly name: string;
  run(request: TaskRequest, exec: WorkerExecution): Promise<unknown>;
  /**
   * Celery's `task_revoked` signal: the request was dropped before it ran (revoked or expired).
   * Girder Worker ends the request's Girder job CANCELED here. Must not throw.
   */
  dropped?(request: TaskRequest, exec: Pick<WorkerExecution, 'logger'>): Promise<void>;
  /**
   * True when a plain revoke (without terminate) must stop this request while it runs. Girder
   * Worker's docker_run polls the worker's revoked list and stops its container: that is how
   * Girder's cancel (a revoke without terminate) reaches a running job.
   */
  stopsOnRevoke?(request: TaskRequest): boolean;
}

/** Why the worker itself stopped a task it was running: shutting down; its message goes back. */
export class WorkerShutdownReason extends TaskCancelledError {
  constructor() {
    super('The worker is shutting down');
  }
}
