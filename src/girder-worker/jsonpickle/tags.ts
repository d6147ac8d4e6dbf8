/** jsonpickle's tags (jsonpickle/tags.py): reserved keys of the JSON objects it writes. */
export const TAGS = {
  BYTES: 'py/bytes',
  B64: 'py/b64',
  B85: 'py/b85',
  FUNCTION: 'py/function',
  ID: 'py/id',
  INITARGS: 'py/initargs',
  ITERATOR: 'py/iterator',
  MODULE: 'py/mod',
  NEWARGS: 'py/newargs',
  NEWARGSEX: 'py/newargsex',
  NEWOBJ: 'py/newobj',
  OBJECT: 'py/object',
  PROPERTY: 'py/property',
  REDUCE: 'py/reduce',
  REF: 'py/ref',
  REPR: 'py/repr',
  SEQ: 'py/seq',
  SET: 'py/set',
  STATE: 'py/state',
  TUPLE: 'py/tuple',
  TYPE: 'py/type',
} as const;

/** Keys an object's attributes never take: jsonpickle skips them when it restores attributes. */
export const RESERVED_TAGS: ReadonlySet<string> = new Set(Object.values(TAGS));

/** True for a key jsonpickle (or a later version of it) would read as a tag. */
export function isTagLike(key: string): boolean {
  return key.startsWith('py/');
}
