/**
 * The little of HTTP/1 framing a raw request needs to know where an answer's body starts and
 * ends: Node's parser cannot be asked to stop at the end of a head and leave the body in the
 * kernel, so these requests read their answers themselves.
 */

/** A response head bigger than this is refused (Node's own limit is 16 KiB). */
export const HEAD_LIMIT = 64 * 1024;

export interface ResponseHead {
  status: number;
  /** Names lower-cased; repeated fields joined with `, `. */
  headers: Record<string, string>;
}

/** An error in an answer's framing; `code` says which, and keeps it from being retried. */
function framingError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * An HTTP/1 response head (status line and field lines, without the blank line). A line that
 * starts with a space or a tab continues the one before (obsolete folding, RFC 9112 section
 * 5.2): it is joined to it with one space. Lines without a name are ignored.
 */
export function parseHead(text: string): ResponseHead {
  const [statusLine = '', ...fieldLines] = text.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})(?:[ \t]|$)/.exec(statusLine);
  if (!match) {
    throw framingError(
      `not an HTTP/1 answer: ${JSON.stringify(statusLine.slice(0, 80))}`,
      'ERR_HTTP_MALFORMED',
    );
  }
  const fields: [string, string][] = [];
  for (const line of fieldLines) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line)) {
      if (last) last[1] = `${last[1]} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of fields) {
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(match[1]), headers };
}

/** A final answer's head, and where its body starts in the bytes read. */
export interface FoundHead extends ResponseHead {
  bodyStart: number;
}

/**
 * The final answer's head at the start of `bytes`, skipping the interim 1xx answers before it
 * (a `100 Continue`, a `103 Early Hints`); undefined while it has not all arrived. Throws when
 * a head outgrows HEAD_LIMIT or is not HTTP/1.
 */
export function findFinalHead(bytes: Buffer, limit = HEAD_LIMIT): FoundHead | undefined {
  let start = 0;
  for (;;) {
    const end = bytes.indexOf('\r\n\r\n', start, 'latin1');
    if (end < 0 ? bytes.length - start > limit : end - start > limit) {
      throw framingError(`the response head is longer than ${limit} bytes`, 'ERR_HTTP_HEAD_TOO_LONG');
    }
    if (end < 0) return undefined;
    const head = parseHead(bytes.subarray(start, end).toString('latin1'));
    // 101 Switching Protocols is final: what follows is no longer HTTP.
    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      start = end + 4;
      continue;
    }
    return { ...head, bodyStart: end + 4 };
  }
}

/** Whether an answer's body is chunked (its last transfer coding, RFC 9112 section 6.3). */
export function isChunked(head: ResponseHead): boolean {
  const codings = head.headers['transfer-encoding']?.split(',') ?? [];
  return codings.at(-1)?.trim().toLowerCase() === 'chunked';
}

/**
 * A chunked body (RFC 9112 section 7.1) as far as it has arrived: its data, and whether the last
 * chunk and the trailer section are in. Chunk extensions and trailer fields are read past.
 * Throws on a chunk size or chunk end that is not HTTP.
 */
export function decodeChunked(bytes: Buffer): { data: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) return { data: Buffer.concat(parts), complete: false };
    const sizeText = bytes.subarray(at, lineEnd).toString('latin1').split(';')[0]!.trim();
    if (!/^[0-9a-f]{1,12}$/i.test(sizeText)) {
      throw framingError(
        `a chunk size is not hexadecimal: ${JSON.stringify(sizeText.slice(0, 20))}`,
        'ERR_HTTP_MALFORMED',
      );
    }
    const size = Number.parseInt(sizeText, 16);
    const dataStart = lineEnd + 2;
    if (size === 0) {
      // The trailer section, field lines then an empty line, ends at the first blank line, which
      // may follow the size line at once.
      const complete = bytes.indexOf('\r\n\r\n', lineEnd, 'latin1') >= 0;
      return { data: Buffer.concat(parts), complete };
    }
    parts.push(bytes.subarray(dataStart, dataStart + size));
    const dataEnd = dataStart + size;
    if (bytes.length < dataEnd + 2) return { data: Buffer.concat(parts), complete: false };
    if (bytes.subarray(dataEnd, dataEnd + 2).toString('latin1') !== '\r\n') {
      throw framingError('a chunk does not end where its size says', 'ERR_HTTP_MALFORMED');
    }
    at = dataEnd + 2;
  }
}
