import { describe, expect, it } from 'vitest';
import { HEAD_LIMIT, decodeChunked, findFinalHead, isChunked, parseHead } from './http-head.js';

/** A small seeded generator, so that a failing case can be run again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `data` as a chunked body: random chunk sizes, some with extensions, and optional trailers. */
function chunked(data: Buffer, next: () => number, trailers: string): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length;) {
    const size = Math.min(data.length - at, 1 + Math.floor(next() * 40));
    const extension = next() < 0.3 ? ';name="va;lue"' : '';
    const hex = next() < 0.5 ? size.toString(16) : size.toString(16).toUpperCase();
    parts.push(Buffer.from(`${hex}${extension}\r\n`), data.subarray(at, at + size), Buffer.from('\r\n'));
    at += size;
  }
  parts.push(Buffer.from(`0\r\n${trailers}\r\n`));
  return Buffer.concat(parts);
}

describe('parseHead', () => {
  it('reads the status, lower-cases names, joins repeated fields and trims odd whitespace', () => {
    expect(
      parseHead(
        'HTTP/1.1 206 Partial Content\r\nContent-Length:\t 5 \t\r\nX-A: 1\r\nx-a:2\r\nNoColon\r\n: empty name',
      ),
    ).toEqual({ status: 206, headers: { 'content-length': '5', 'x-a': '1, 2' } });
  });

  it('joins a folded line (obs-fold) to the field before, with one space', () => {
    const { headers } = parseHead(
      'HTTP/1.1 200 OK\r\nX-Folded: first\r\n  second\r\n\tthird: not a name\r\nB: b',
    );
    expect(headers).toEqual({ 'x-folded': 'first second third: not a name', b: 'b' });
  });

  it('takes a status line without a reason, and refuses one that is not HTTP/1', () => {
    expect(parseHead('HTTP/1.0 204').status).toBe(204);
    expect(() => parseHead('HTTP/2 200')).toThrow(/not an HTTP\/1 answer/);
    expect(() => parseHead('HTTP/1.1 2000 OK')).toThrow(/not an HTTP\/1 answer/);
    expect(() => parseHead('')).toThrow(/not an HTTP\/1 answer/);
  });
});

describe('findFinalHead', () => {
  const answer = Buffer.from(
    'HTTP/1.1 100 Continue\r\n\r\n' +
      'HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody',
  );
  const bodyStart = answer.length - 4;

  it('skips interim 1xx answers and finds where the body starts', () => {
    expect(findFinalHead(answer)).toEqual({ status: 200, headers: { 'content-length': '4' }, bodyStart });
  });

  it('finds nothing in any prefix that stops before the final head ends (a head split anywhere)', () => {
    for (let end = 0; end < bodyStart; end++) expect(findFinalHead(answer.subarray(0, end))).toBeUndefined();
    for (let end = bodyStart; end <= answer.length; end++) {
      expect(findFinalHead(answer.subarray(0, end))?.bodyStart).toBe(bodyStart);
    }
  });

  it('treats 101 as final', () => {
    expect(findFinalHead(Buffer.from('HTTP/1.1 101 Switching Protocols\r\n\r\n'))?.status).toBe(101);
  });

  it('refuses a head past the limit, ended or not, with a code that is not retried', () => {
    const huge = `HTTP/1.1 200 OK\r\n${'X-Pad: ' + 'a'.repeat(HEAD_LIMIT)}`;
    expect(() => findFinalHead(Buffer.from(huge))).toThrow(/longer than 65536 bytes/);
    expect(() => findFinalHead(Buffer.from(`${huge}\r\n\r\n`))).toThrow(
      expect.objectContaining({ code: 'ERR_HTTP_HEAD_TOO_LONG' }),
    );
    // Interim answers count one by one: many small ones are fine.
    const interims = 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(4000);
    expect(findFinalHead(Buffer.from(`${interims}HTTP/1.1 204 No Content\r\n\r\n`))?.status).toBe(204);
  });
});

describe('decodeChunked', () => {
  it('decodes random chunkings, with extensions and trailers, and is complete only at the very end', () => {
    const next = random(42);
    for (let round = 0; round < 60; round++) {
      const data = Buffer.from(
        Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256)),
      );
      // Bytes that look like framing must not end the body early.
      if (round % 3 === 0) data.write('0\r\n\r\n', 0, 'latin1');
      const trailers = round % 2 === 0 ? '' : 'Expires: never\r\nX-Sum: 1\r\n';
      const body = chunked(data, next, trailers);
      for (let end = 0; end < body.length; end++) {
        const partial = decodeChunked(body.subarray(0, end));
        expect(partial.complete).toBe(false);
        expect(data.subarray(0, partial.data.length).equals(partial.data)).toBe(true);
      }
      const whole = decodeChunked(body);
      expect(whole.complete).toBe(true);
      expect(whole.data.equals(data)).toBe(true);
    }
  });

  it('refuses a size that is not hexadecimal and a chunk longer than its size', () => {
    expect(() => decodeChunked(Buffer.from('zz\r\nab\r\n'))).toThrow(/not hexadecimal/);
    expect(() => decodeChunked(Buffer.from('2\r\nabc\r\n0\r\n\r\n'))).toThrow(
      /does not end where its size says/,
    );
  });

  it('knows a chunked answer by its last transfer coding', () => {
    expect(isChunked({ status: 200, headers: { 'transfer-encoding': 'gzip, Chunked' } })).toBe(true);
    expect(isChunked({ status: 200, headers: { 'transfer-encoding': 'chunked, gzip' } })).toBe(false);
    expect(isChunked({ status: 200, headers: {} })).toBe(false);
  });
});
