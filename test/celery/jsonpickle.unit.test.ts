/** The jsonpickle codec on its own (the checks against real Python are in jsonpickle-python.test.ts). */
import { describe, expect, it } from 'vitest';
import {
  decodeJsonPickle,
  decodeJsonPickleText,
  encodeJsonPickle,
  parseJsonKeepingKeyOrder,
  PyObject,
  PyTuple,
  PyType,
} from '../../src/girder-worker/jsonpickle/index.js';
import { ProtocolError } from '../../src/core/protocol-error.js';

const keep = (classPath: string, state: Record<string, unknown>) => new PyObject(classPath, state);
const noClasses = (classPath: string): never => {
  throw new ProtocolError(`Unknown Python class ${classPath} in the task message`);
};

describe('decodeJsonPickle', () => {
  it('passes plain JSON through, restoring dicts and lists as new objects', () => {
    const value = { a: [1, 'x', null, true, { b: 2.5 }], c: {} };
    const decoded = decodeJsonPickle(value, noClasses);
    expect(decoded).toEqual(value);
    expect(decoded).not.toBe(value);
  });

  it('restores tuples and sets as arrays, bytes as a Buffer, classes as PyType', () => {
    const decoded = decodeJsonPickle(
      {
        t: { 'py/tuple': [1, { 'py/tuple': [] }] },
        s: { 'py/set': ['a'] },
        b: { 'py/b64': 'AAFi' },
        c: { 'py/type': 'm.C' },
      },
      noClasses,
    ) as Record<string, unknown>;
    expect(decoded.t).toEqual([1, []]);
    expect(decoded.s).toEqual(['a']);
    expect(decoded.b).toEqual(Buffer.from([0, 1, 0x62]));
    expect(decoded.c).toEqual(new PyType('m.C'));
  });

  it('can keep tuples, sets and classes as the caller likes', () => {
    const decoded = decodeJsonPickle({ 'py/tuple': [{ 'py/set': [1] }, { 'py/type': 'm.C' }] }, noClasses, {
      resolveTuple: (items) => new PyTuple(items),
      resolveSet: (items) => new Set(items),
      resolveType: (path) => `class ${path}`,
    });
    expect(decoded).toEqual(new PyTuple([new Set([1]), 'class m.C']));
  });

  it('numbers py/id from 0 in pre-order over dicts, lists and objects; tuples, sets and types do not count', () => {
    // 0: the root dict, 1: l, 2: the object, 3: its list attribute; the tuple and the type are skipped.
    const value = {
      t: { 'py/tuple': [{ 'py/type': 'm.T' }] },
      l: [{ 'py/object': 'm.C', items: [] }],
      refs: { 'py/tuple': [{ 'py/id': 0 }, { 'py/id': 1 }, { 'py/id': 2 }, { 'py/id': 3 }] },
    };
    const decoded = decodeJsonPickle(value, keep) as Record<string, unknown>;
    const l = decoded.l as PyObject[];
    const refs = decoded.refs as unknown[];
    expect(refs[0]).toBe(decoded);
    expect(refs[1]).toBe(l);
    expect(refs[2]).toBe(l[0]);
    expect(refs[3]).toBe(l[0]?.state.items);
  });

  it('gives resolveClass the restored attributes, and the same value for every reference', () => {
    const calls: string[] = [];
    const decoded = decodeJsonPickle(
      [
        { 'py/object': 'm.Outer', inner: { 'py/object': 'm.Inner', n: 1 }, again: { 'py/id': 2 } },
        { 'py/id': 1 },
        { 'py/id': 2 },
      ],
      (classPath, state) => {
        calls.push(classPath);
        return { classPath, state };
      },
    ) as { classPath: string; state: Record<string, unknown> }[];
    expect(calls).toEqual(['m.Inner', 'm.Outer']);
    const [outer, outerAgain, inner] = decoded;
    expect(outerAgain).toBe(outer);
    expect(outer?.state.inner).toBe(inner);
    expect(outer?.state.again).toBe(inner);
    expect(inner).toEqual({ classPath: 'm.Inner', state: { n: 1 } });
  });

  it('restores py/state and mangles private attributes as Python does', () => {
    const decoded = decodeJsonPickle(
      { 'py/object': 'm.C', __secret: 1, a: 1, 'py/state': { b: [2], a: 3 } },
      keep,
    ) as PyObject;
    expect(decoded.state).toEqual({ _C__secret: 1, a: 3, b: [2] });
    const slots = decodeJsonPickle(
      { 'py/object': 'm.S', 'py/state': { 'py/tuple': [null, { x: 1 }] } },
      keep,
    );
    expect((slots as PyObject).state).toEqual({ x: 1 });
  });

  it('keeps cycles of dicts and lists', () => {
    const decoded = decodeJsonPickle({ self: ['a', { 'py/id': 1 }], root: { 'py/id': 0 } }, noClasses) as {
      self: unknown[];
      root: unknown;
    };
    expect(decoded.self[1]).toBe(decoded.self);
    expect(decoded.root).toBe(decoded);
  });

  it('keeps a "__proto__" key as an own key', () => {
    const decoded = decodeJsonPickle(JSON.parse('{"__proto__": {"polluted": true}}'), noClasses) as object;
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['py/reduce', { 'py/reduce': [{ 'py/type': 'os.system' }, { 'py/tuple': ['id'] }] }],
    ['py/function', { 'py/function': 'os.system' }],
    ['py/repr', { 'py/repr': 'os/os.system("id")' }],
    ['py/iterator', { 'py/iterator': [1] }],
    ['py/b85', { 'py/b85': 'VE' }],
    ['py/mod', { 'py/mod': 'os' }],
    ['py/ref', { 'py/ref': '/' }],
    ['py/state', { 'py/state': {} }],
    ['py/newargs', { 'py/object': 'm.C', 'py/newargs': { 'py/tuple': [1] } }],
    ['py/newargsex', { 'py/object': 'm.C', 'py/newargsex': [[], {}] }],
    ['py/initargs', { 'py/object': 'm.C', 'py/initargs': [] }],
    ['py/seq', { 'py/object': 'm.C', 'py/seq': [] }],
    [
      'default_factory',
      { 'py/object': 'collections.defaultdict', default_factory: { 'py/type': 'builtins.list' } },
    ],
    ['py/whatever', { a: 1, 'py/whatever': 2 }],
  ])('refuses %s, naming the tag', (tag, value) => {
    let error: unknown;
    try {
      decodeJsonPickle({ x: [value] }, keep);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('ERR_PROTOCOL');
    expect((error as Error).message).toContain(`Unsupported jsonpickle tag ${tag} at $.x[0]`);
  });

  it('refuses bad references and objects that contain themselves', () => {
    expect(() => decodeJsonPickle([{ 'py/id': 1 }], noClasses)).toThrow('Bad py/id 1 at $[0]');
    expect(() => decodeJsonPickle([{ 'py/id': -1 }], noClasses)).toThrow(ProtocolError);
    expect(() => decodeJsonPickle([{ 'py/id': '0' }], noClasses)).toThrow(ProtocolError);
    expect(() => decodeJsonPickle({ 'py/object': 'm.C', me: { 'py/id': 0 } }, keep)).toThrow(
      'Unsupported cyclic reference at $.me',
    );
    expect(() => decodeJsonPickle({ 'py/tuple': 'abc' }, noClasses)).toThrow('Malformed py/tuple at $');
    expect(() => decodeJsonPickle({ 'py/object': 7 }, keep)).toThrow('Malformed py/object at $');
  });

  it('leaves unknown classes to resolveClass', () => {
    expect(() => decodeJsonPickle({ a: { 'py/object': 'evil.Class' } }, noClasses)).toThrow(
      'Unknown Python class evil.Class in the task message',
    );
  });
});

describe('decodeJsonPickleText', () => {
  it('numbers references in the written key order, which JSON.parse changes for integer-like keys', () => {
    const text = '{"b": [{"py/object": "m.C"}], "1": {"py/id": 2}, "0": {"py/id": 1}}';
    const decoded = decodeJsonPickleText(text, keep) as Record<string, unknown>;
    const b = decoded.b as unknown[];
    expect(decoded['1']).toBe(b[0]);
    expect(decoded['0']).toBe(b);
    expect(() => decodeJsonPickle(JSON.parse(text), keep)).toThrow(ProtocolError);
  });

  it('reports text that is not JSON as a ProtocolError', () => {
    expect(() => decodeJsonPickleText('{"a": ', keep)).toThrow(ProtocolError);
    expect(() => decodeJsonPickleText('{"1": tru}', keep)).toThrow('not valid JSON');
  });
});

describe('parseJsonKeepingKeyOrder', () => {
  it('parses like JSON.parse and records the written order where JS changes it', () => {
    const text =
      ' {"z": [1, -2.5e3, "\\u00e9\\"\\\\", true, false, null], "10": {}, "2": {"b": 1, "a": 2}, "z": 0} ';
    const { value, keyOrder } = parseJsonKeepingKeyOrder(text);
    expect(value).toEqual(JSON.parse(text));
    expect(keyOrder(value as object)).toEqual(['z', '10', '2']);
    expect(keyOrder((value as Record<string, object>)['2'] as object)).toBeUndefined();
  });

  it('uses JSON.parse when no key can be reordered', () => {
    const { value, keyOrder } = parseJsonKeepingKeyOrder('{"a": {"b": ["1"]}}');
    expect(value).toEqual({ a: { b: ['1'] } });
    expect(keyOrder(value as object)).toBeUndefined();
  });

  it.each(['{"1": }', '{"1": 1,}', '{"1": 01}', '{"1": "x}', '{"1": 1} x', '[1 2]', '{"1" 1}'])(
    'refuses %s',
    (text) => {
      expect(() => parseJsonKeepingKeyOrder(text)).toThrow(ProtocolError);
    },
  );
});

describe('encodeJsonPickle', () => {
  it('writes shared dicts, lists and objects once, then py/id in pre-order', () => {
    const shared = ['x'];
    const obj = new PyObject('m.C', { list: shared, n: 1 });
    const encoded = encodeJsonPickle(
      new PyTuple([{ a: shared, b: obj, c: obj, d: new PyTuple([shared]) }, obj]),
    );
    expect(encoded).toEqual({
      'py/tuple': [
        {
          a: ['x'],
          b: { 'py/object': 'm.C', list: { 'py/id': 1 }, n: 1 },
          c: { 'py/id': 2 },
          d: { 'py/tuple': [{ 'py/id': 1 }] },
        },
        { 'py/id': 2 },
      ],
    });
  });

  it('writes types, sets and bytes as jsonpickle does, and leaves undefined dict values out', () => {
    expect(
      encodeJsonPickle({
        t: new PyType('m.T'),
        s: new Set([1]),
        b: Buffer.from('ab'),
        u: undefined,
        l: [undefined],
      }),
    ).toEqual({ t: { 'py/type': 'm.T' }, s: { 'py/set': [1] }, b: { 'py/b64': 'YWI=' }, l: [null] });
  });

  it('asks describe for class instances; fresh ones are new Python objects each time but still numbered', () => {
    class Thing {
      constructor(readonly name: string) {}
    }
    class Fresh {}
    const thing = new Thing('a');
    const fresh = new Fresh();
    const describe = (obj: object) => {
      if (obj instanceof Thing) return { classPath: 'm.Thing', state: { name: obj.name } };
      if (obj instanceof Fresh) return { classPath: 'm.Fresh', state: {}, fresh: true };
      return undefined;
    };
    expect(encodeJsonPickle([fresh, thing, fresh, thing], describe)).toEqual([
      { 'py/object': 'm.Fresh' },
      { 'py/object': 'm.Thing', name: 'a' },
      { 'py/object': 'm.Fresh' },
      { 'py/id': 2 },
    ]);
  });

  it.each([
    ['a function', () => 1, 'function'],
    ['NaN', Number.NaN, 'NaN'],
    ['a bigint', 10n, '10'],
    ['a symbol', Symbol('s'), 'Symbol(s)'],
    ['a Date', new Date(0), 'a Date'],
    ['a Map', new Map(), 'a Map'],
  ])('refuses %s', (_what, value, shown) => {
    expect(() => encodeJsonPickle({ k: [value] })).toThrow(
      new RegExp(`^${shown.replace(/[()]/g, '\\$&')}.* at \\$\\.k\\[0\\] cannot be sent to another process`),
    );
  });

  it('refuses dict keys and attributes Python would read as tags', () => {
    expect(() => encodeJsonPickle({ 'py/object': 'x' })).toThrow(ProtocolError);
    expect(() => encodeJsonPickle(new PyObject('m.C', { 'py/id': 0 }))).toThrow(ProtocolError);
  });

  it('round-trips through decodeJsonPickle', () => {
    const shared = { k: [1, 2] };
    const value = new PyTuple([
      new PyTuple(['a']),
      { x: shared, y: [shared, new PyObject('m.C', { s: shared })] },
    ]);
    const encoded = encodeJsonPickle(value);
    const decoded = decodeJsonPickle(JSON.parse(JSON.stringify(encoded)), keep, {
      resolveTuple: (items) => new PyTuple(items),
    });
    expect(decoded).toEqual(value);
    expect(encodeJsonPickle(decoded)).toEqual(encoded);
  });
});
