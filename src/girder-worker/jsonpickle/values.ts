/**
 * JS stand-ins for the Python values JSON has no form for. `PyTuple` and `PyType` go both ways;
 * `PyObject` is any Python object as its class path and attributes (what a `resolveClass` may
 * return to keep an object it does not map, and what the encoder writes as `py/object`).
 */

/** A Python tuple: `{"py/tuple": [...]}`. Decoding gives a plain array; wrap one to send a tuple. */
export class PyTuple {
  readonly items: readonly unknown[];

  constructor(items: readonly unknown[]) {
    this.items = items;
  }
}

/** A Python class used as a value: `{"py/type": "module.Class"}`. */
export class PyType {
  readonly pyType: string;

  constructor(pyType: string) {
    this.pyType = pyType;
  }
}

/** A Python object: `{"py/object": classPath, ...state}`. The same PyObject twice is one Python object. */
export class PyObject {
  readonly classPath: string;
  readonly state: Readonly<Record<string, unknown>>;

  constructor(classPath: string, state: Readonly<Record<string, unknown>> = {}) {
    this.classPath = classPath;
    this.state = state;
  }
}
