import { ValidationError } from '../core/errors.js';
import type { Reporter } from '../execution/reporter.js';
import { Task, type TaskExecutionContext } from './task.js';
import type { TaskRequest } from '../celery/protocol/parse-task-message.js';

/** What a worker hands to a task it runs. */
export interface WorkerExecution {
  signal: AbortSignal;
  reporter: Reporter;
  /** The worker's own log (what the worker says about the task, not the task's output). */
  log?: ((line: string) => void) | undefined;
}

/** A task as a worker runs it: from a validated request to a JSON-able result. */
export interface WorkerTask {
  readonly name: string;
  run(request: TaskRequest, exec: WorkerExecution): Promise<unknown>;
  /**
   * Celery's `task_revoked` signal: the request was dropped before it ran (revoked or expired).
   * Girder Worker ends the request's Girder job CANCELED here. Must not throw.
   */
  dropped?(request: TaskRequest, exec: Pick<WorkerExecution, 'log'>): Promise<void>;
  /**
   * True when a plain revoke (without terminate) must stop this request while it runs. Girder
   * Worker's docker_run polls the worker's revoked list and stops its container: that is how
   * Girder's cancel (a revoke without terminate) reaches a running job.
   */
  stopsOnRevoke?(request: TaskRequest): boolean;
}

/** A task function: Celery's args positionally, kwargs (and the task id, retries, signal) in `ctx`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskFunction<Args extends unknown[] = any[], Result = unknown> = (
  ctx: TaskExecutionContext,
  ...args: Args
) => Result | Promise<Result>;

const TASK_NAME = /^[A-Za-z_][\w.:-]*$/;

/**
 * The tasks a worker knows by name. Built-in: Girder Worker's docker_run (registered by the
 * worker). Yours: `app.task('proj.add', (ctx, a, b) => a + b)` in a module the worker loads
 * (`longshore worker --tasks ./tasks.js`); the same call gives the client a Task to `delay()`.
 */
export class TaskRegistry {
  readonly #tasks = new Map<string, WorkerTask>();

  register(task: WorkerTask): void {
    if (typeof task.name !== 'string' || !TASK_NAME.test(task.name)) {
      throw new ValidationError('name', task.name, 'a task name such as proj.tasks.add');
    }
    this.#tasks.set(task.name, task);
  }

  get(name: string): WorkerTask | undefined {
    return this.#tasks.get(name);
  }

  has(name: string): boolean {
    return this.#tasks.has(name);
  }

  names(): string[] {
    return [...this.#tasks.keys()].sort();
  }

  /** Defines a task from a function and registers it; returns the Task to call it with. */
  task<Args extends unknown[], Result>(name: string, fn: TaskFunction<Args, Result>): Task<Args, Result> {
    if (typeof fn !== 'function') throw new ValidationError('fn', fn, 'a task function');
    const task = new Task<Args, Result>(name, async (exec, ...args) => fn(exec, ...args));
    this.register(taskOnWorker(task));
    return task;
  }
}

/** A Task run by a worker: args positionally, kwargs and retries in the context. */
export function taskOnWorker<Args extends unknown[], Result>(task: Task<Args, Result>): WorkerTask {
  return {
    name: task.name,
    run: (request, exec) =>
      task.execute(
        {
          taskId: request.id,
          signal: exec.signal,
          reporter: exec.reporter,
          kwargs: request.kwargs,
          retries: request.retries,
        },
        ...(request.args as Args),
      ),
  };
}

/** The process's registry: what `app.task()` defines and `longshore worker` serves. */
export const app = new TaskRegistry();
