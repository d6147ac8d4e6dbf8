import type { TaskContext } from '../execution/task-context.js';

/**
 * A value in a task's arguments that becomes something concrete when the task runs: a container
 * path, a mount, a FIFO, a download. Transforms are plain data; everything they create while
 * resolving goes through the TaskContext, so the same object can be used by many tasks and,
 * within one task, resolves once (the same object used twice yields the same path).
 */
export abstract class Transform {
  /** The value that takes this object's place in the container's arguments. */
  abstract resolve(ctx: TaskContext): Promise<unknown>;
}

export function isTransform(value: unknown): value is Transform {
  return value instanceof Transform;
}

/** How the container run ended, as a result hook sees it. */
export interface TaskOutcome {
  /** The container's exit code; null when it never ran to an exit (pull failed, cancelled...). */
  exitCode: number | null;
  /** The task's error, when it failed. */
  error?: unknown;
}

/**
 * Runs after the container (Girder Worker's "result hooks"). A hook runs after a successful
 * container; it also runs after a failure when `runOnFailure` is true, and its own failure then
 * never hides the task's error. Its return value is reported in the task's result.
 */
export interface ResultHook {
  readonly runOnFailure?: boolean;
  /** Called before the container starts, so that the hook can resolve (and mount) what it needs. */
  prepare?(ctx: TaskContext): Promise<void>;
  run(ctx: TaskContext, outcome: TaskOutcome): Promise<unknown>;
}

export function isResultHook(value: unknown): value is ResultHook {
  return typeof (value as ResultHook | null)?.run === 'function';
}
