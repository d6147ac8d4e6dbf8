import { ValidationError } from '../../core/errors.js';
import { decodeJsonPickle, decodeJsonPickleText } from '../jsonpickle/decode.js';
import { encodeJsonPickle, type PythonObjectDescription } from '../jsonpickle/encode.js';
import { ProtocolError } from '../../core/protocol-error.js';
import { PythonState } from './python-state.js';
import type { GirderConnection } from '../../girder/girder-connection.js';

/**
 * Builds the longshore object for a Python object of one class from its restored attributes
 * (`state`, also readable through `ctx`). Nested objects are already decoded, and a Python object
 * met twice in a message (`py/id`) is built once: the same JS object is used both times.
 * Throw `ctx.fail(why)` for malformed attributes; a ValidationError from a longshore constructor
 * becomes such a ProtocolError too.
 */
export type PythonClassFactory = (state: Readonly<Record<string, unknown>>, ctx: PythonState) => object;

/** What one encoding knows besides the value. */
export interface PythonEncodeOptions {
  /**
   * The `gc` of Girder transforms that have no connection of their own: the sending client's
   * configured Girder, which a Python worker needs there (it never reads the headers' token).
   */
  girder?: GirderConnection | null | undefined;
  /** Told each time a transform takes `girder` (it has no connection of its own). */
  onGirder?: (() => void) | undefined;
}

/**
 * Says how a longshore object goes to Python. Throw a ProtocolError for objects that must not
 * cross the wire; `path` (like `$[1].container_args[0]`) says where the value is.
 */
export type PythonEncoder<T> = (
  obj: T,
  path: string,
  options: Readonly<PythonEncodeOptions>,
) => PythonObjectDescription;

/** A class (also an abstract one): its instances, subclasses included, use the encoder. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ClassOf<T> = abstract new (...args: any[]) => T;

/**
 * The two-way mapping between Python class paths (`girder_worker.docker.transforms.VolumePath`)
 * and longshore objects, used to decode task messages from Python clients and to encode
 * longshore values for Python workers.
 */
export class PythonClassRegistry {
  readonly #factories = new Map<string, PythonClassFactory>();
  /** Encoders by class prototype: the most specific class of an object wins. */
  readonly #encoders = new Map<object, PythonEncoder<object>>();
  /** Encoders of particular objects (process.stdout, TemporaryVolume.default...). */
  readonly #instanceEncoders = new Map<object, PythonEncoder<object>>();
  /** Encoders asked before the class ones, for objects that are recognized otherwise. */
  readonly #testEncoders: { test: (obj: object) => boolean; encode: PythonEncoder<object> }[] = [];

  /** Decodes `classPath` with `factory` (replacing any earlier factory for it). */
  register(classPath: string, factory: PythonClassFactory): this {
    this.#factories.set(classPath, factory);
    return this;
  }

  /** Encodes instances of `type` (and its subclasses without their own encoder) with `encode`. */
  registerEncoder<T extends object>(type: ClassOf<T>, encode: PythonEncoder<T>): this {
    this.#encoders.set(type.prototype as object, encode as PythonEncoder<object>);
    return this;
  }

  /** Encodes this very object with `encode`. */
  registerInstanceEncoder<T extends object>(obj: T, encode: PythonEncoder<T>): this {
    this.#instanceEncoders.set(obj, encode as PythonEncoder<object>);
    return this;
  }

  /** Encodes the objects `test` accepts with `encode` (for objects that share a class with others). */
  registerEncoderIf<T extends object>(test: (obj: object) => obj is T, encode: PythonEncoder<T>): this {
    this.#testEncoders.push({ test, encode: encode as PythonEncoder<object> });
    return this;
  }

  has(classPath: string): boolean {
    return this.#factories.has(classPath);
  }

  /** The Python classes this registry decodes. */
  classPaths(): string[] {
    return [...this.#factories.keys()];
  }

  /** The longshore object for a Python object; a ProtocolError for an unregistered class. */
  resolve(classPath: string, state: Record<string, unknown>): object {
    const factory = this.#factories.get(classPath);
    if (factory === undefined)
      throw new ProtocolError(`Unknown Python class ${classPath} in the task message`);
    const ctx = new PythonState(classPath, state);
    try {
      return factory(state, ctx);
    } catch (error) {
      if (error instanceof ValidationError) throw ctx.fail(error.message, error);
      throw error;
    }
  }

  /** How `obj` goes to Python, or undefined when nothing is registered for it. */
  describe(
    obj: object,
    path: string,
    options: Readonly<PythonEncodeOptions> = {},
  ): PythonObjectDescription | undefined {
    const own = this.#instanceEncoders.get(obj);
    if (own !== undefined) return own(obj, path, options);
    for (const { test, encode } of this.#testEncoders) {
      if (test(obj)) return encode(obj, path, options);
    }
    for (
      let proto = Object.getPrototypeOf(obj) as object | null;
      proto;
      proto = Object.getPrototypeOf(proto) as object | null
    ) {
      const encode = this.#encoders.get(proto);
      if (encode !== undefined) return encode(obj, path, options);
    }
    return undefined;
  }

  /** Restores parsed jsonpickle JSON (a message body, one result hook) into longshore objects. */
  decode(value: unknown): unknown {
    return decodeJsonPickle(value, (classPath, state) => this.resolve(classPath, state));
  }

  /** Restores jsonpickle JSON text; keeps the written key order that `py/id` numbers rely on. */
  decodeText(text: string): unknown {
    return decodeJsonPickleText(text, (classPath, state) => this.resolve(classPath, state));
  }

  /** The jsonpickle JSON (to `JSON.stringify`) of a value holding longshore objects. */
  encode(value: unknown, options: Readonly<PythonEncodeOptions> = {}): unknown {
    return encodeJsonPickle(value, (obj, path) => this.describe(obj, path, options));
  }

  /** A copy to extend without touching this registry (tests, a worker with extra classes). */
  clone(): PythonClassRegistry {
    const copy = new PythonClassRegistry();
    for (const [classPath, factory] of this.#factories) copy.#factories.set(classPath, factory);
    for (const [proto, encode] of this.#encoders) copy.#encoders.set(proto, encode);
    for (const [obj, encode] of this.#instanceEncoders) copy.#instanceEncoders.set(obj, encode);
    copy.#testEncoders.push(...this.#testEncoders);
    return copy;
  }
}
