import { EventEmitter } from 'node:events';
import { LongshoreError, TaskCancelledError } from '../core/errors.js';
import type { GirderJob } from '../girder/documents.js';
import { EventReporter, type ReporterEvents } from './reporter.js';
import { READY_STATES, type TaskState } from './task-state.js';

export class TaskTimeoutError extends LongshoreError {
  constructor(taskId: string, timeoutMs: number) {
    super('ERR_TIMEOUT', `Task ${taskId} did not finish within ${timeoutMs} ms`);
  }
}

export interface GetOptions {
  /** Milliseconds to wait; the task goes on running when the wait times out. */
  timeout?: number;
}

export interface RevokeOptions {
  /** Also stop the task if it already runs (its container is stopped); default false. */
  terminate?: boolean;
  /** With `terminate`: 'SIGTERM' (default: stop, then kill after the grace period) or 'SIGKILL' (kill at once). */
  signal?: string;
}

/** @internal How a handle reaches the task it stands for, when that is not in this process. */
export interface HandleControls {
  revoke(options: RevokeOptions): Promise<void>;
}

/**
 * A running (or finished) task as its caller sees it, like Celery's AsyncResult: its id and
 * state, `get()` for the outcome, `cancel()`, and live events (status, log, progress, pull, warning,
 * phase).
 */
export class TaskHandle<R> extends EventEmitter<ReporterEvents> {
  readonly id: string;
  readonly #controller: AbortController;
  readonly #outcome: Promise<R>;
  readonly #controls: HandleControls | undefined;
  #state: TaskState = 'PENDING';
  #job: Promise<GirderJob | undefined> = Promise.resolve(undefined);

  /** @internal Runners create handles; users get them from `delay()` / `applyAsync()`. */
  constructor(
    id: string,
    controller: AbortController,
    start: (reporter: EventReporter) => Promise<R>,
    controls?: HandleControls,
  ) {
    super();
    this.id = id;
    this.#controller = controller;
    this.#controls = controls;
    const reporter = new EventReporter();
    reporter.on('log', (chunk) => this.emit('log', chunk));
    reporter.on('progress', (progress) => this.emit('progress', progress));
    reporter.on('pull', (progress) => this.emit('pull', progress));
    reporter.on('warning', (message) => this.emit('warning', message));
    reporter.on('phase', (phase) => this.emit('phase', phase));
    reporter.on('status', (state) => this.#setState(state));
    this.#outcome = start(reporter).then(
      (value) => {
        this.#setState('SUCCESS');
        return value;
      },
      (error: unknown) => {
        this.#setState(error instanceof TaskCancelledError ? 'REVOKED' : 'FAILURE');
        throw error;
      },
    );
    // A caller that never asks for the outcome must not crash the process with an unhandled rejection.
    this.#outcome.catch(() => undefined);
  }

  /**
   * The Girder job that follows the task: its document once created (`dockerRun.delay` with
   * girderJob* options and Girder configured), undefined when no job is created. Rejects when the
   * job could not be created (the task then never runs, and `get()` rejects too).
   */
  get job(): Promise<GirderJob | undefined> {
    return this.#job;
  }

  /** @internal The job created for this task. */
  followJob(job: Promise<GirderJob>): void {
    this.#job = job;
    // Like the outcome: a caller that never asks for the job must not crash the process.
    job.catch(() => undefined);
  }

  get status(): TaskState {
    return this.#state;
  }

  get ready(): boolean {
    return READY_STATES.has(this.#state);
  }

  /** Resolves with the task's result; rejects with its typed error. */
  get(options: GetOptions = {}): Promise<R> {
    if (options.timeout === undefined) return this.#outcome;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TaskTimeoutError(this.id, options.timeout!)), options.timeout);
    });
    return Promise.race([this.#outcome, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Stops the task: its container gets SIGTERM, then SIGKILL after the grace period. For a task
   * sent to a worker this is `revoke({ terminate: true })`.
   */
  cancel(reason: string = 'cancelled by the caller'): void {
    if (!this.ready) this.#controller.abort(new TaskCancelledError(`The task was ${reason}`));
  }

  /**
   * Celery's revoke: a task that has not started never runs; with `terminate` a running one is
   * stopped too. Its outcome becomes REVOKED (`get()` rejects with a TaskCancelledError). For a
   * task sent to workers this broadcasts Celery's `revoke` control message to all of them.
   */
  async revoke(options: RevokeOptions = {}): Promise<void> {
    if (this.#controls) {
      await this.#controls.revoke(options);
      return;
    }
    if (this.ready || (this.#state === 'STARTED' && !options.terminate)) return;
    this.cancel('revoked');
  }

  #setState(state: TaskState): void {
    if (this.ready || this.#state === state) return;
    this.#state = state;
    this.emit('status', state);
  }
}
