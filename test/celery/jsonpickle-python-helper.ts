/**
 * Runs real Python jsonpickle (Debian's, in /usr/bin/python3: `python3` on PATH may be a pyenv
 * without it) with the stand-in Girder Worker classes of fixtures/python on PYTHONPATH.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJsonPickleText } from '../../src/girder-worker/jsonpickle/decode.js';
import { PyObject, PyTuple, PyType } from '../../src/girder-worker/jsonpickle/values.js';

export const PYTHON = '/usr/bin/python3';
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const STUBS = path.join(FIXTURES, 'python');

/** Throws a helpful error when the system Python lacks jsonpickle. */
export function assertPythonJsonPickle(): void {
  const result = spawnSync(PYTHON, ['-c', 'import jsonpickle'], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import jsonpickle (${result.error?.message ?? result.stderr.trim()}); run: bash scripts/setup.sh`,
    );
  }
}

/** One request to fixtures/python/probe.py (see there for the operations). */
export function probe<T>(request: Record<string, unknown>): T {
  const result = spawnSync(PYTHON, ['-B', path.join(STUBS, 'probe.py')], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: STUBS, PYTHONDONTWRITEBYTECODE: '1' },
    timeout: 30_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `probe.py ${JSON.stringify(request).slice(0, 200)} failed: ${result.error?.message ?? result.stderr}`,
    );
  }
  return JSON.parse(result.stdout) as T;
}

export interface Scenario {
  /** `jsonpickle.encode(value)`. */
  json: string;
  /** The shape of `jsonpickle.decode(json)`. */
  shape: unknown;
  /** The shape of the value before encoding. */
  originalShape: unknown;
}

export function pythonScenario(name: string): Scenario {
  return probe<Scenario>({ op: 'scenario', name });
}

/** Python decodes `json`, then encodes what it got. */
export function pythonRoundTrip(json: string): { reencoded: string; shape: unknown } {
  return probe({ op: 'roundtrip', json });
}

/** `eval(a) is eval(b)` in Python for each pair, with `v = jsonpickle.decode(json)`. */
export function pythonIs(json: string, pairs: [string, string][]): boolean[] {
  return probe<{ results: boolean[] }>({ op: 'is', json, pairs }).results;
}

/** A capture of fixtures/*.json. */
export function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as unknown;
}

/** Decodes keeping every Python object as a PyObject, tuples as PyTuple: Python's view, in JS. */
export function genericDecode(text: string): unknown {
  return decodeJsonPickleText(text, (classPath, state) => new PyObject(classPath, state), {
    resolveTuple: (items) => new PyTuple(items),
  });
}

/** The same rendering as probe.py's `shape`, for a `genericDecode` result. */
export function shapeOf(value: unknown): unknown {
  const seen = new Map<object, string>();
  const sortedEntries = (obj: Readonly<Record<string, unknown>>): [string, unknown][] =>
    Object.keys(obj)
      .sort()
      .map((key) => [key, obj[key]]);
  const walk = (v: unknown, at: string): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof PyTuple) return { tuple: v.items.map((item, i) => walk(item, `${at}[${i}]`)) };
    if (v instanceof PyType) return { type: v.pyType };
    if (Buffer.isBuffer(v)) return { bytes: v.toString('base64') };
    const first = seen.get(v);
    if (first !== undefined) return { ref: first };
    seen.set(v, at);
    if (Array.isArray(v)) return v.map((item: unknown, i) => walk(item, `${at}[${i}]`));
    if (v instanceof PyObject) {
      return {
        class: v.classPath,
        attrs: Object.fromEntries(sortedEntries(v.state).map(([k, item]) => [k, walk(item, `${at}.${k}`)])),
      };
    }
    return Object.fromEntries(
      sortedEntries(v as Record<string, unknown>).map(([k, item]) => [
        k,
        walk(item, `${at}[${JSON.stringify(k)}]`),
      ]),
    );
  };
  return walk(value, '$');
}
