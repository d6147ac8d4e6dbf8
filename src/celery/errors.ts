import { LongshoreError, type LongshoreErrorOptions } from '../core/errors.js';

export interface BrokerConnectionErrorOptions extends LongshoreErrorOptions {
  /** false when trying again cannot help (default true). */
  retryable?: boolean;
}

/**
 * The broker cannot be reached, refused us, or the connection was lost. Never carries a password
 * or TLS key material.
 */
export class BrokerConnectionError extends LongshoreError {
  /**
   * false for settings that cannot work, found before any retry: TLS files that cannot be read
   * or parsed, TLS settings on an amqp:// URL, a broker certificate that does not verify.
   */
  readonly retryable: boolean;

  constructor(message: string, options: BrokerConnectionErrorOptions = {}) {
    super('ERR_BROKER_CONNECTION', message, options);
    this.retryable = options.retryable ?? true;
  }
}

/** What a worker reported as a task's failure, Celery style (`exc_type`, `exc_message`, `exc_module`). */
export interface RemoteExceptionInfo {
  excType: string;
  excModule: string;
  /** The exception's args (`exc_message` on the wire is Python's `exc.args`). */
  excArgs: unknown[];
  traceback: string | null;
}

/**
 * A task failed on a worker (longshore's or Python's). `excType`/`excModule` name the Python
 * exception a Python client would raise (ContainerExitError, NotRegistered, ValueError...).
 */
export class RemoteTaskError extends LongshoreError {
  readonly taskId: string;
  readonly excType: string;
  readonly excModule: string;
  /** The exception's message: its first argument, as text. */
  readonly excMessage: string;
  readonly excArgs: unknown[];
  readonly traceback: string | null;

  constructor(taskId: string, info: RemoteExceptionInfo, options: LongshoreErrorOptions = {}) {
    const excMessage = info.excArgs.length === 0 ? '' : info.excArgs.map(argText).join(', ');
    super('ERR_REMOTE_TASK', `Task ${taskId} failed: ${info.excType}: ${excMessage}`, options);
    this.taskId = taskId;
    this.excType = info.excType;
    this.excModule = info.excModule;
    this.excMessage = excMessage;
    this.excArgs = info.excArgs;
    this.traceback = info.traceback;
  }
}

/** The worker has no task of that name (Celery's NotRegistered). */
export class TaskNotRegisteredError extends LongshoreError {
  readonly taskName: string;

  constructor(taskName: string) {
    super('ERR_NOT_REGISTERED', `Task of kind '${taskName}' is not registered on this worker`);
    this.taskName = taskName;
  }
}

/** The soft time limit passed: the task was asked to stop (its container got SIGTERM). */
export class SoftTimeLimitExceededError extends LongshoreError {
  constructor(seconds: number) {
    super('ERR_SOFT_TIME_LIMIT', `Soft time limit (${seconds}s) exceeded`);
  }
}

/** The hard time limit passed: the task was killed. */
export class TimeLimitExceededError extends LongshoreError {
  constructor(seconds: number) {
    super('ERR_TIME_LIMIT', `Time limit (${seconds}s) exceeded`);
  }
}

export interface RetryOptions {
  /** Seconds until the next attempt (Celery's default: 180). */
  countdown?: number;
  /** An absolute time for the next attempt instead of a countdown. */
  eta?: Date;
  /** At most this many retries (Celery's default: 3); beyond it the task fails with `cause`. */
  maxRetries?: number;
  /** Why: the error reported with the RETRY state and, after the last retry, the failure. */
  cause?: unknown;
}

/**
 * Thrown by a task function to be run again later, as Celery's `self.retry()`: the worker sends
 * the same task id back to its queue with `retries + 1` and an `eta`, and reports RETRY.
 *
 *   app.task('fetch', async (ctx, url) => { ... throw new Retry({ countdown: 5 }); })
 */
export class Retry extends LongshoreError {
  readonly countdown: number;
  readonly eta: Date | undefined;
  readonly maxRetries: number;

  constructor(options: RetryOptions = {}) {
    const when = options.eta ? `at ${options.eta.toISOString()}` : `in ${options.countdown ?? 180}s`;
    super('ERR_RETRY', `Retry ${when}`, options.cause === undefined ? {} : { cause: options.cause });
    this.countdown = options.countdown ?? 180;
    this.eta = options.eta;
    this.maxRetries = options.maxRetries ?? 3;
  }
}

/** The task asked for more retries than `maxRetries` allows (Celery's MaxRetriesExceededError). */
export class MaxRetriesExceededError extends LongshoreError {
  constructor(taskName: string, taskId: string, maxRetries: number, options: LongshoreErrorOptions = {}) {
    super(
      'ERR_MAX_RETRIES',
      `Can't retry ${taskName}[${taskId}]: max retries (${maxRetries}) exceeded`,
      options,
    );
  }
}

function argText(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg);
  } catch {
    return String(arg);
  }
}
