import { randomUUID } from 'node:crypto';
import { TaskCancelledError } from '../errors.js';
import type { Reporter } from '../task/reporter.js';
import { TaskHandle } from './task-handle.js';

export interface TaskExecutionContext {
  taskId: string;
  signal: AbortSignal;
  reporter: Reporter;
}

export interface ApplyOptions {
  /** Cancels the task when aborted. */
  signal?: AbortSignal;
  /** Use this id instead of a new UUID. */
  taskId?: string;
}

/**
 * A named unit of work. With no broker configured, `applyAsync` runs it in this process; the
 * distributed mode sends the same call over the broker, with the same handle API.
 */
export class Task<Args extends unknown[], Result> {
  constructor(
    readonly name: string,
    readonly execute: (exec: TaskExecutionContext, ...args: Args) => Promise<Result>,
  ) {}

  applyAsync(args: Args, options: ApplyOptions = {}): TaskHandle<Result> {
    const taskId = options.taskId ?? randomUUID();
    const controller = new AbortController();
    const external = options.signal;
    if (external) {
      if (external.aborted) controller.abort(external.reason);
      else external.addEventListener('abort', () => controller.abort(external.reason), { once: true });
    }
    return new TaskHandle<Result>(taskId, controller, async (reporter) => {
      // Let the caller attach listeners before the first event.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (controller.signal.aborted) {
        // Cancelled before it started, by any kind of reason: still a cancellation (REVOKED).
        const reason: unknown = controller.signal.reason;
        throw reason instanceof TaskCancelledError
          ? reason
          : new TaskCancelledError(undefined, { cause: reason });
      }
      reporter.status('STARTED');
      return this.execute({ taskId, signal: controller.signal, reporter }, ...args);
    });
  }

  delay(...args: Args): TaskHandle<Result> {
    return this.applyAsync(args);
  }
}
