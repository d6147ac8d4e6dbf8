import { ValidationError } from '../core/errors.js';
import type { TaskContext } from '../execution/task-context.js';
import { Transform } from './transform.js';
import { isStreamSink, isStreamSource } from '../execution/endpoints.js';

/**
 * Replaces every transform in `value` (walking arrays and plain objects at any depth) by what it
 * resolves to, leaving every other value as it is. Transforms resolve one after the other in
 * argument order, and the same object found twice resolves once. The input is not modified.
 */
export async function resolveArgs(value: unknown, ctx: TaskContext): Promise<unknown> {
  const resolved = new Map<Transform, unknown>();
  const walking = new Set<object>();

  const walk = async (node: unknown): Promise<unknown> => {
    if (node instanceof Transform) {
      if (!resolved.has(node)) resolved.set(node, await node.resolve(ctx));
      return resolved.get(node);
    }
    if (Array.isArray(node)) {
      enter(node);
      const out: unknown[] = [];
      for (const item of node) out.push(await walk(item));
      walking.delete(node);
      return out;
    }
    if (isPlainObject(node)) {
      enter(node);
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(node)) {
        // defineProperty, not assignment: a "__proto__" key (JSON.parse makes them) stays data.
        Object.defineProperty(out, key, {
          value: await walk(item),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      walking.delete(node);
      return out;
    }
    return node;
  };

  const enter = (node: object): void => {
    if (walking.has(node)) throw new ValidationError('args', node, 'arguments without cycles');
    walking.add(node);
  };

  return walk(value);
}

/**
 * Turns resolved arguments into the container's command-line arguments: strings stay, numbers,
 * booleans and bigints become their decimal text, null and undefined become '' (Girder Worker
 * passes 'None'), and arrays and plain objects become JSON.
 */
export function toContainerArgs(resolved: unknown[]): string[] {
  return resolved.map((arg, index) => {
    const field = `container_args[${index}]`;
    switch (typeof arg) {
      case 'string':
        if (arg.includes('\0')) throw new ValidationError(field, arg, 'a string without NUL characters');
        return arg;
      case 'number':
      case 'boolean':
      case 'bigint':
        return String(arg);
      case 'undefined':
        return '';
      case 'object': {
        if (arg === null) return '';
        if (arg instanceof Transform || isStreamSource(arg) || isStreamSink(arg)) {
          throw new ValidationError(
            field,
            arg,
            'a resolved value: stream endpoints belong in a Connect, and transforms must be resolved first',
          );
        }
        let json: string | undefined;
        try {
          json = JSON.stringify(arg);
        } catch (error) {
          throw new ValidationError(field, '(unserializable)', 'a JSON-serializable value', { cause: error });
        }
        if (json === undefined) throw new ValidationError(field, arg, 'a JSON-serializable value');
        return json;
      }
      default:
        throw new ValidationError(field, arg, 'a string, number, boolean, null, array or plain object');
    }
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
