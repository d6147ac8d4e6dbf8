import { ValidationError } from '../core/errors.js';
import { Task, type TaskExecutionContext } from './task.js';
import type { WorkerTask } from './worker-task.js';

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

const APP_KEY = Symbol.for('longshore.app');

/**
 * The process's registry: what `app.task()` defines and `longshore worker` serves. Kept under a
 * `Symbol.for` key on `globalThis`, so that a `--tasks` module resolving another copy of
 * longshore registers into the registry the worker serves.
 */
export const app: TaskRegistry = ((globalThis as Record<symbol, unknown>)[APP_KEY] ??=
  new TaskRegistry()) as TaskRegistry;
