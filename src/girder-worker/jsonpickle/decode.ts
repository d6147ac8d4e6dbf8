import { ProtocolError } from '../../core/protocol-error.js';
import { parseJsonKeepingKeyOrder } from './ordered-json.js';
import { RESERVED_TAGS, TAGS, isTagLike } from './tags.js';
import { PyType } from './values.js';

/**
 * Turns a Python object into a JS value: `classPath` is the `py/object` tag ("module.Class"),
 * `state` its attributes, already restored (nested objects are already what this function
 * returned for them). Throw (a ProtocolError) for a class you do not know.
 */
export type ResolveClass = (classPath: string, state: Record<string, unknown>) => unknown;

export interface DecodeJsonPickleOptions {
  /** What `{"py/type": "module.Class"}` becomes; by default a `PyType` marker. */
  resolveType?: (classPath: string) => unknown;
  /** What a restored `py/tuple` becomes; by default the array itself (`items => new PyTuple(items)` keeps it a tuple). */
  resolveTuple?: (items: unknown[]) => unknown;
  /** What a restored `py/set` becomes; by default the array itself. */
  resolveSet?: (items: unknown[]) => unknown;
  /**
   * The keys of a JSON object in the order they were written, when that differs from the JS
   * order (JS puts integer-like keys first, which would shift `py/id` numbers). Given by
   * `decodeJsonPickleText`; leave it out for values from `JSON.parse`.
   */
  keyOrder?: (obj: object) => readonly string[] | undefined;
}

/** Marks an object's `py/id` slot while its attributes are being restored. */
const IN_PROGRESS: unique symbol = Symbol('jsonpickle object being restored');

/**
 * Restores jsonpickle JSON (already parsed) the way Python's `jsonpickle.Unpickler().restore()`
 * does, for the data Girder Worker and Celery send:
 *
 * - `{"py/object": "m.C", ...attrs}` → `resolveClass("m.C", restoredAttrs)`; `py/state` (a dict,
 *   or a `(dict, slots)` pair) adds attributes; `__x` attributes are name-mangled (`_C__x`).
 * - `{"py/tuple": [...]}` and `{"py/set": [...]}` → arrays; `{"py/b64": "..."}` → a Buffer.
 * - `{"py/type": "m.C"}` → `new PyType("m.C")` (or `options.resolveType`).
 * - `{"py/id": N}` → the very same JS value as the N-th (0-based) dict, list or object restored,
 *   counted in pre-order (a container is numbered before its children; tuples, sets and types
 *   are not counted), so shared Python objects stay shared.
 * - Plain dicts and lists restore recursively; other values pass through.
 *
 * Anything else jsonpickle can write (`py/reduce`, `py/function`, `py/repr`, `py/iterator`,
 * `py/newargs`, ... or any other `py/` key) is a ProtocolError naming the tag: longshore never
 * runs Python constructors. An object that contains a reference to itself is a ProtocolError too
 * (its JS value only exists once its attributes are restored).
 */
export function decodeJsonPickle(
  value: unknown,
  resolveClass: ResolveClass,
  options: DecodeJsonPickleOptions = {},
): unknown {
  return new Unpickler(resolveClass, options).restore(value, '$');
}

/**
 * `decodeJsonPickle` for a message's text. Unlike `JSON.parse`, it keeps the written order of
 * integer-like keys (`{"b": [..], "1": [..]}`), on which `py/id` numbers depend.
 */
export function decodeJsonPickleText(
  text: string,
  resolveClass: ResolveClass,
  options: DecodeJsonPickleOptions = {},
): unknown {
  const { value, keyOrder } = parseJsonKeepingKeyOrder(text);
  return decodeJsonPickle(value, resolveClass, { ...options, keyOrder });
}

class Unpickler {
  /** Every dict, list and object restored so far, in `py/id` order. */
  readonly #objs: unknown[] = [];
  readonly #resolveClass: ResolveClass;
  readonly #options: DecodeJsonPickleOptions;

  constructor(resolveClass: ResolveClass, options: DecodeJsonPickleOptions) {
    this.#resolveClass = resolveClass;
    this.#options = options;
  }

  restore(value: unknown, path: string): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return this.#restoreList(value, path);
    if (!isPlainObject(value)) {
      throw new ProtocolError(`Not JSON data at ${path}: ${describeValue(value)}`);
    }
    // The same precedence as jsonpickle's Unpickler._restore_tags.
    if (Object.hasOwn(value, TAGS.TUPLE)) {
      const items = this.#restoreSequence(value, TAGS.TUPLE, path);
      return this.#options.resolveTuple ? this.#options.resolveTuple(items) : items;
    }
    if (Object.hasOwn(value, TAGS.SET)) {
      const items = this.#restoreSequence(value, TAGS.SET, path);
      return this.#options.resolveSet ? this.#options.resolveSet(items) : items;
    }
    if (Object.hasOwn(value, TAGS.B64)) return this.#restoreBase64(value, path);
    if (Object.hasOwn(value, TAGS.B85)) throw unsupportedTag(TAGS.B85, path);
    if (Object.hasOwn(value, TAGS.ID)) return this.#restoreId(value, path);
    if (Object.hasOwn(value, TAGS.ITERATOR)) throw unsupportedTag(TAGS.ITERATOR, path);
    if (Object.hasOwn(value, TAGS.OBJECT)) return this.#restoreObject(value, path);
    if (Object.hasOwn(value, TAGS.TYPE)) return this.#restoreType(value, path);
    const keys = this.#keys(value);
    const tag = keys.find(isTagLike);
    if (tag !== undefined) throw unsupportedTag(tag, path);
    return this.#restoreDict(value, keys, path);
  }

  #keys(obj: object): readonly string[] {
    return this.#options.keyOrder?.(obj) ?? Object.keys(obj);
  }

  #restoreList(list: readonly unknown[], path: string): unknown[] {
    const out: unknown[] = [];
    this.#objs.push(out);
    list.forEach((item, index) => out.push(this.restore(item, `${path}[${index}]`)));
    return out;
  }

  /** Tuples and sets: not counted for `py/id` (Python could not refer back to them). */
  #restoreSequence(obj: Record<string, unknown>, tag: string, path: string): unknown[] {
    const items = obj[tag];
    if (!Array.isArray(items)) {
      throw new ProtocolError(`Malformed ${tag} at ${path}: expected a list, got ${describeValue(items)}`);
    }
    return items.map((item, index) => this.restore(item, `${path}[${index}]`));
  }

  #restoreBase64(obj: Record<string, unknown>, path: string): Buffer {
    const text = obj[TAGS.B64];
    if (typeof text !== 'string') {
      throw new ProtocolError(
        `Malformed ${TAGS.B64} at ${path}: expected a string, got ${describeValue(text)}`,
      );
    }
    return Buffer.from(text, 'base64');
  }

  #restoreId(obj: Record<string, unknown>, path: string): unknown {
    const index = obj[TAGS.ID];
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
      throw new ProtocolError(`Malformed ${TAGS.ID} at ${path}: ${describeValue(index)} is not an index`);
    }
    if (index >= this.#objs.length) {
      throw new ProtocolError(
        `Bad ${TAGS.ID} ${index} at ${path}: only ${this.#objs.length} dicts, lists and objects precede it`,
      );
    }
    const target = this.#objs[index];
    if (target === IN_PROGRESS) {
      throw new ProtocolError(
        `Unsupported cyclic reference at ${path}: ${TAGS.ID} ${index} is an object that contains itself`,
      );
    }
    return target;
  }

  #restoreType(obj: Record<string, unknown>, path: string): unknown {
    const classPath = obj[TAGS.TYPE];
    if (typeof classPath !== 'string') {
      throw new ProtocolError(
        `Malformed ${TAGS.TYPE} at ${path}: ${describeValue(classPath)} is not a class path`,
      );
    }
    return this.#options.resolveType ? this.#options.resolveType(classPath) : new PyType(classPath);
  }

  #restoreObject(obj: Record<string, unknown>, path: string): unknown {
    const classPath = obj[TAGS.OBJECT];
    if (typeof classPath !== 'string' || classPath === '') {
      throw new ProtocolError(
        `Malformed ${TAGS.OBJECT} at ${path}: ${describeValue(classPath)} is not a class path`,
      );
    }
    const keys = this.#keys(obj);
    for (const key of keys) {
      // Tags that make jsonpickle call Python code (constructors, __new__ arguments, factories).
      if ((isTagLike(key) && key !== TAGS.OBJECT && key !== TAGS.STATE) || key === 'default_factory') {
        throw unsupportedTag(key, path, classPath);
      }
    }
    const index = this.#objs.length;
    this.#objs.push(IN_PROGRESS);
    const className = classPath.slice(classPath.lastIndexOf('.') + 1);
    const state: Record<string, unknown> = {};
    for (const key of keys) {
      if (RESERVED_TAGS.has(key)) continue;
      setOwn(state, mangle(key, className), this.restore(obj[key], `${path}.${key}`));
    }
    if (Object.hasOwn(obj, TAGS.STATE)) {
      this.#restoreState(obj[TAGS.STATE], state, className, `${path}.${TAGS.STATE}`, classPath);
    }
    const value = this.#resolveClass(classPath, state);
    this.#objs[index] = value;
    return value;
  }

  /** `py/state` (from `__getstate__`): a dict of attributes, or a `(dict | None, slots dict)` pair. */
  #restoreState(
    raw: unknown,
    state: Record<string, unknown>,
    className: string,
    path: string,
    classPath: string,
  ): void {
    const restored = this.restore(raw, path);
    const merge = (attrs: object): void => {
      for (const [key, value] of Object.entries(attrs)) setOwn(state, mangle(key, className), value);
    };
    if (isPlainObject(restored)) {
      merge(restored);
    } else if (Array.isArray(restored) && restored.length === 2 && isPlainObject(restored[1])) {
      merge(restored[1]);
      if (isPlainObject(restored[0])) merge(restored[0]);
    } else {
      throw new ProtocolError(
        `Unsupported ${TAGS.STATE} of ${classPath} at ${path}: ${describeValue(restored)} is not a dict of attributes`,
      );
    }
  }

  #restoreDict(obj: Record<string, unknown>, keys: readonly string[], path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.#objs.push(out);
    for (const key of keys) setOwn(out, key, this.restore(obj[key], `${path}.${key}`));
    return out;
  }
}

/** Python's private-name mangling, which jsonpickle applies to restored `__x` attributes. */
function mangle(key: string, className: string): string {
  return key.startsWith('__') ? `_${className}${key}` : key;
}

function unsupportedTag(tag: string, path: string, classPath?: string): ProtocolError {
  const of = classPath === undefined ? '' : ` (in a ${classPath})`;
  return new ProtocolError(
    `Unsupported jsonpickle tag ${tag} at ${path}${of}: longshore restores plain data, tuples, sets, ` +
      'classes and objects of known classes only, never Python code',
  );
}

/** Own property, also for the key `__proto__` (which plain assignment would treat as the prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === Object.prototype || proto === null;
}

/** A short description of a value for an error message (never its full content). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'symbol') return value.toString();
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (isPlainObject(value)) return 'a dict';
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name ? `a ${name}` : 'an object';
}
