import {
  decodeGirderWorkerText,
  decodeResultHooks,
  encodeGirderWorkerValue,
  encodeResultHooks,
} from '../girder-worker/classes/index.js';

/**
 * Task bodies and Girder Worker's flattened headers, through jsonpickle with Girder Worker's
 * classes, as Girder Worker's `girder_io` serializer does for every `application/json` message:
 * a body of plain JSON decodes to itself, `py/object` dicts become longshore transforms (an
 * unknown class is an error naming it), and longshore transforms go out as Girder Worker's
 * classes. The codec itself lives in `girder-worker-classes/` and `jsonpickle/`; this file is
 * the one place the queue code reaches it.
 */

/** A message body's JSON text → values (transform objects included). */
export function decodeTaskBody(text: string): unknown {
  return decodeGirderWorkerText(text);
}

/** `[args, kwargs, embed]` → the body's JSON text (one jsonpickle pass: shared objects stay shared). */
export function encodeTaskBody(body: unknown): string {
  return JSON.stringify(encodeGirderWorkerValue(body));
}

/** The `girder_result_hooks` header → hook objects (each restored on its own, as Girder Worker does). */
export function decodeHooksHeader(value: unknown): unknown[] {
  return decodeResultHooks(value);
}

/** Hook objects → the `girder_result_hooks` header (each flattened on its own: dicts, not strings). */
export function encodeHooksHeader(hooks: readonly unknown[]): unknown[] {
  return encodeResultHooks(hooks);
}
