import { ProtocolError } from '../../core/protocol-error.js';
import { describeValue, isPlainObject, setOwn } from './decode.js';
import { TAGS, isTagLike } from './tags.js';
import { PyObject, PyTuple, PyType } from './values.js';

/** How a JS object goes to Python: as an instance of `classPath` with these attributes. */
export interface PythonObjectDescription {
  /** "module.Class", e.g. `girder_worker.docker.transforms.VolumePath`. */
  classPath: string;
  /** The instance's attributes (Python's `__dict__`), in Python's order; values are encoded in turn. */
  state: Readonly<Record<string, unknown>>;
  /**
   * Send a new Python object at each occurrence rather than one shared object referenced with
   * `py/id` (as Python's client does for `TemporaryVolume.default`, a new object per access).
   */
  fresh?: boolean;
}

/**
 * Says how a JS object (other than an array, a `PyTuple`/`PyType`/`PyObject`, a Set or bytes)
 * goes to Python; undefined for "no Python class": a plain object is then a dict, anything
 * else a ProtocolError. It may throw its own ProtocolError for values that must not be sent
 * (`path`, like `$[1].container_args[0]`, says where the value is).
 */
export type DescribeObject = (obj: object, path: string) => PythonObjectDescription | undefined;

/**
 * The jsonpickle JSON (to `JSON.stringify`) that Python's `jsonpickle.Pickler().flatten()` writes
 * for the equivalent Python value, `py/id` numbers included:
 *
 * - strings, finite numbers, booleans, null as they are (`undefined`: null, or left out in a dict);
 * - arrays → lists; plain objects → dicts; `PyTuple` → `py/tuple`; Set → `py/set`;
 *   Uint8Array/Buffer → `py/b64`; `PyType` → `py/type`;
 * - `PyObject`, and objects `describe` knows → `{"py/object": classPath, ...state}`;
 * - the same array, dict or object met again → `{"py/id": N}` (N counts dicts, lists and objects
 *   in pre-order from 0), so Python rebuilds the shared object once.
 *
 * Anything else (functions, symbols, bigints, NaN/Infinity, class instances without a Python
 * class, dict keys starting with `py/`) is a ProtocolError.
 */
export function encodeJsonPickle(value: unknown, describe?: DescribeObject): unknown {
  return new Pickler(describe).flatten(value, '$');
}

class Pickler {
  /** Objects already written, with their `py/id`. */
  readonly #ids = new Map<object, number>();
  #count = 0;
  readonly #describe: DescribeObject | undefined;

  constructor(describe: DescribeObject | undefined) {
    this.#describe = describe;
  }

  flatten(value: unknown, path: string): unknown {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'undefined':
        return null;
      case 'number':
        if (!Number.isFinite(value)) throw cannotSend(value, path, 'JSON has no form for it');
        return value;
      case 'bigint':
      case 'function':
      case 'symbol':
        throw cannotSend(value, path, 'it is not data');
    }
    if (value === null) return null;
    const obj = value as object;
    if (obj instanceof PyTuple) {
      return { [TAGS.TUPLE]: obj.items.map((item, i) => this.flatten(item, `${path}[${i}]`)) };
    }
    if (obj instanceof PyType) return { [TAGS.TYPE]: obj.pyType };
    if (obj instanceof Uint8Array) {
      return { [TAGS.B64]: Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64') };
    }
    if (obj instanceof Set) {
      return { [TAGS.SET]: [...obj].map((item, i) => this.flatten(item, `${path}[${i}]`)) };
    }
    const id = this.#ids.get(obj);
    if (id !== undefined) return { [TAGS.ID]: id };
    if (Array.isArray(obj)) {
      this.#register(obj);
      return obj.map((item: unknown, i) => this.flatten(item, `${path}[${i}]`));
    }
    if (obj instanceof PyObject) {
      this.#register(obj);
      return this.#flattenObject(obj.classPath, obj.state, path);
    }
    const description = this.#describe?.(obj, path);
    if (description !== undefined) {
      if (description.fresh) this.#count++;
      else this.#register(obj);
      return this.#flattenObject(description.classPath, description.state, path);
    }
    if (isPlainObject(obj)) {
      this.#register(obj);
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(obj)) {
        if (item === undefined) continue;
        if (isTagLike(key)) {
          throw new ProtocolError(
            `The dict key ${JSON.stringify(key)} at ${path} cannot be sent: Python would read it as a jsonpickle tag`,
          );
        }
        setOwn(out, key, this.flatten(item, `${path}.${key}`));
      }
      return out;
    }
    throw cannotSend(obj, path, 'no Python class is known for it');
  }

  #register(obj: object): void {
    this.#ids.set(obj, this.#count++);
  }

  #flattenObject(
    classPath: string,
    state: Readonly<Record<string, unknown>>,
    path: string,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { [TAGS.OBJECT]: classPath };
    for (const [key, item] of Object.entries(state)) {
      if (item === undefined) continue;
      if (isTagLike(key)) {
        throw new ProtocolError(
          `The attribute ${JSON.stringify(key)} of a ${classPath} at ${path} cannot be sent`,
        );
      }
      setOwn(out, key, this.flatten(item, `${path}.${key}`));
    }
    return out;
  }
}

function cannotSend(value: unknown, path: string, why: string): ProtocolError {
  return new ProtocolError(`${describeValue(value)} at ${path} cannot be sent to another process: ${why}`);
}
