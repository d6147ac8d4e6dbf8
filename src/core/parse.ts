import type { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * Validates `input` at a boundary. The first problem becomes a ValidationError naming the field
 * (a dotted path under `root`) and the value found there.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const path = [...issue.path, key];
    throw new ValidationError(fieldName(root, path), valueAt(input, path), 'unknown option');
  }
  throw new ValidationError(fieldName(root, issue.path), valueAt(input, issue.path), issue.message);
}

function fieldName(root: string, path: readonly PropertyKey[]): string {
  let name = root;
  for (const part of path) {
    if (typeof part === 'number') name += `[${part}]`;
    else name += name ? `.${String(part)}` : String(part);
  }
  return name || 'input';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}
