import { isGirderConnection, type GirderConnection } from '../../girder/girder-connection.js';
import { describeValue } from '../jsonpickle/decode.js';
import { ProtocolError } from '../../core/protocol-error.js';
import { VolumePath } from '../../transforms/volume-path.js';
import { Volume } from '../../transforms/volume.js';

/**
 * The restored attributes of one Python object, with typed readers that fail with a
 * ProtocolError naming the class and the attribute. "Optional" readers take a missing attribute
 * and Python's None (null) alike.
 */
export class PythonState {
  readonly classPath: string;
  readonly state: Readonly<Record<string, unknown>>;

  constructor(classPath: string, state: Readonly<Record<string, unknown>>) {
    this.classPath = classPath;
    this.state = state;
  }

  has(attr: string): boolean {
    return Object.hasOwn(this.state, attr);
  }

  /** The attribute as restored (undefined when missing). */
  value(attr: string): unknown {
    return this.has(attr) ? this.state[attr] : undefined;
  }

  /** The attribute, which must be present (any value, null included). */
  required(attr: string): unknown {
    if (!this.has(attr)) throw this.fail(`it has no attribute '${attr}'`);
    return this.state[attr];
  }

  string(attr: string): string {
    const value = this.required(attr);
    if (typeof value !== 'string') throw this.wrongType(attr, 'a string', value);
    return value;
  }

  optionalString(attr: string): string | undefined {
    const value = this.value(attr);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.wrongType(attr, 'a string or None', value);
    return value;
  }

  boolean(attr: string, fallback?: boolean): boolean {
    const value = this.value(attr);
    if ((value === undefined || value === null) && fallback !== undefined) return fallback;
    if (typeof value !== 'boolean') throw this.wrongType(attr, 'a boolean', value);
    return value;
  }

  integer(attr: string, fallback?: number): number {
    const value = this.value(attr);
    if ((value === undefined || value === null) && fallback !== undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value))
      throw this.wrongType(attr, 'an integer', value);
    return value;
  }

  /** A dict of strings (e.g. HTTP headers). */
  stringRecord(attr: string, fallback?: Record<string, string>): Record<string, string> {
    const value = this.value(attr);
    if ((value === undefined || value === null) && fallback !== undefined) return { ...fallback };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw this.wrongType(attr, 'a dict of strings', value);
    }
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== 'string') throw this.wrongType(`${attr}[${JSON.stringify(key)}]`, 'a string', item);
      out[key] = item;
    }
    return out;
  }

  /** A volume (an already decoded BindMountVolume, TemporaryVolume, TemporaryVolume.default...). */
  volume(attr: string): Volume {
    const value = this.required(attr);
    if (!(value instanceof Volume)) {
      throw this.wrongType(attr, 'a volume (BindMountVolume, TemporaryVolume...)', value);
    }
    return value;
  }

  volumePath(attr: string): VolumePath {
    const value = this.required(attr);
    if (!(value instanceof VolumePath)) throw this.wrongType(attr, 'a VolumePath', value);
    return value;
  }

  /** Girder Worker's serialized `gc`: null outside Girder. */
  girderConnection(attr: string): GirderConnection | null {
    const value = this.value(attr);
    if (value === undefined || value === null) return null;
    if (!isGirderConnection(value)) throw this.wrongType(attr, 'a girder_client.GirderClient or None', value);
    return value;
  }

  /** The error for a malformed object of this class: `Invalid <class> in the task message: <why>`. */
  fail(why: string, cause?: unknown): ProtocolError {
    return new ProtocolError(
      `Invalid ${this.classPath} in the task message: ${why}`,
      cause === undefined ? {} : { cause },
    );
  }

  wrongType(attr: string, expected: string, value: unknown): ProtocolError {
    return this.fail(`attribute '${attr}' must be ${expected}, got ${describeValue(value)}`);
  }
}
