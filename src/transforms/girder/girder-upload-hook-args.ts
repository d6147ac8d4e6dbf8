import { ValidationError } from '../../core/errors.js';
import type { TaskContext } from '../../execution/task-context.js';
import { VolumePath } from '../volume-path.js';

/** The VolumePath a result hook uploads from. */
export function checkVolumePath(value: unknown): VolumePath {
  if (!(value instanceof VolumePath)) {
    throw new ValidationError('volumePath', value, 'a VolumePath');
  }
  return value;
}

/** Options given as an object (or nothing). */
export function checkOptions<T extends object>(value: T | undefined | null): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError('options', value, 'an object of options');
  }
  return value;
}

/** The task's warnings, for what an upload leaves out. */
export function warnings(ctx: TaskContext): (message: string) => void {
  return (message) => ctx.reporter.warning(message);
}
