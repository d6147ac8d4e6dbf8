import { ProtocolError } from '../../core/protocol-error.js';

export interface OrderedJson {
  value: unknown;
  /** The written key order of an object whose JS key order differs from it; undefined otherwise. */
  keyOrder: (obj: object) => readonly string[] | undefined;
}

/** A key JS moves to the front of an object (an array index: a canonical integer below 2^32 - 1). */
const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;
/** Text that may hold such a key; a false positive only costs the slower parse. */
const MAYBE_INDEX_KEY = /"(?:0|[1-9]\d{0,9})"\s*:/;

const NO_ORDER = (): undefined => undefined;

/**
 * `JSON.parse` that also tells the order in which each object's keys were written, where JS
 * reorders them (integer-like keys come first in JS; Python's json keeps the text order).
 * Duplicate keys keep their first position and last value, as in both Python and JS.
 */
export function parseJsonKeepingKeyOrder(text: string): OrderedJson {
  if (!MAYBE_INDEX_KEY.test(text)) {
    try {
      return { value: JSON.parse(text) as unknown, keyOrder: NO_ORDER };
    } catch (error) {
      throw notJson(error);
    }
  }
  const orders = new WeakMap<object, readonly string[]>();
  const value = new Parser(text, orders).parseDocument();
  return { value, keyOrder: (obj) => orders.get(obj) };
}

function notJson(error: unknown): ProtocolError {
  return new ProtocolError(`The message is not valid JSON: ${(error as Error).message}`, { cause: error });
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

class Parser {
  #pos = 0;

  constructor(
    readonly text: string,
    readonly orders: WeakMap<object, readonly string[]>,
  ) {}

  parseDocument(): unknown {
    const value = this.#value();
    this.#skipWhitespace();
    if (this.#pos !== this.text.length) this.#fail('unexpected text after the JSON value');
    return value;
  }

  #value(): unknown {
    this.#skipWhitespace();
    const c = this.text[this.#pos];
    if (c === '{') return this.#object();
    if (c === '[') return this.#array();
    if (c === '"') return this.#string();
    if (c === 't') return this.#literal('true', true);
    if (c === 'f') return this.#literal('false', false);
    if (c === 'n') return this.#literal('null', null);
    NUMBER.lastIndex = this.#pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.#fail(c === undefined ? 'unexpected end of text' : `unexpected ${JSON.stringify(c)}`);
    this.#pos += match[0].length;
    return Number(match[0]);
  }

  #object(): Record<string, unknown> {
    this.#pos++; // {
    const out: Record<string, unknown> = {};
    const order: string[] = [];
    let reordered = false;
    this.#skipWhitespace();
    if (this.text[this.#pos] === '}') {
      this.#pos++;
      return out;
    }
    for (;;) {
      this.#skipWhitespace();
      if (this.text[this.#pos] !== '"') this.#fail('expected a key');
      const key = this.#string();
      this.#skipWhitespace();
      this.#expect(':');
      const value = this.#value();
      if (!Object.hasOwn(out, key)) {
        order.push(key);
        if (INDEX_KEY.test(key) && Number(key) < 2 ** 32 - 1) reordered = true;
      }
      Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      this.#skipWhitespace();
      if (this.text[this.#pos] === ',') {
        this.#pos++;
        continue;
      }
      this.#expect('}');
      break;
    }
    if (reordered) this.orders.set(out, order);
    return out;
  }

  #array(): unknown[] {
    this.#pos++; // [
    const out: unknown[] = [];
    this.#skipWhitespace();
    if (this.text[this.#pos] === ']') {
      this.#pos++;
      return out;
    }
    for (;;) {
      out.push(this.#value());
      this.#skipWhitespace();
      if (this.text[this.#pos] === ',') {
        this.#pos++;
        continue;
      }
      this.#expect(']');
      return out;
    }
  }

  #string(): string {
    const start = this.#pos;
    let i = start + 1;
    for (;;) {
      const c = this.text.charCodeAt(i);
      if (Number.isNaN(c)) this.#fail('unterminated string');
      if (c === 0x22) break; // "
      i += c === 0x5c ? 2 : 1; // backslash escapes one character (\uXXXX: the rest is plain)
    }
    this.#pos = i + 1;
    try {
      return JSON.parse(this.text.slice(start, i + 1)) as string;
    } catch (error) {
      throw notJson(error);
    }
  }

  #literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.#pos))
      this.#fail(`unexpected ${JSON.stringify(this.text[this.#pos])}`);
    this.#pos += word.length;
    return value;
  }

  #expect(c: string): void {
    if (this.text[this.#pos] !== c) this.#fail(`expected ${JSON.stringify(c)}`);
    this.#pos++;
  }

  #skipWhitespace(): void {
    WHITESPACE.lastIndex = this.#pos;
    WHITESPACE.exec(this.text);
    this.#pos = WHITESPACE.lastIndex;
  }

  #fail(what: string): never {
    throw new ProtocolError(`The message is not valid JSON: ${what} at position ${this.#pos}`);
  }
}
