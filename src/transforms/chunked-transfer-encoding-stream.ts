import type { Writable } from 'node:stream';
import { ValidationError } from '../core/errors.js';
import { registerSecret } from '../core/secrets.js';
import { openChunkedHttpSink } from '../streams/index.js';
import type { StreamIO, StreamSink } from '../execution/endpoints.js';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers whose values are credentials, kept out of every log and error. */
const SECRET_HEADER = /auth|token|cookie|secret|password|key/i;

/**
 * An HTTP(S) POST whose body is streamed with chunked transfer encoding, as the sink of a
 * `Connect` (for example to stream a container's named pipe to a web service).
 */
export class ChunkedTransferEncodingStream implements StreamSink {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(url: string, headers: Record<string, string> = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ValidationError('url', url, 'an absolute http or https URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ValidationError('url', url, 'an http or https URL');
    }
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
      throw new ValidationError('headers', headers, 'an object of header names to string values');
    }
    const copy: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (!HEADER_NAME.test(name)) {
        throw new ValidationError('headers', name, 'valid HTTP header names');
      }
      if (typeof value !== 'string') {
        throw new ValidationError(`headers.${name}`, value, 'a string');
      }
      if (/[\r\n\0]/.test(value)) {
        // The value itself is not shown: it may be a credential.
        throw new ValidationError(`headers.${name}`, '(hidden)', 'a value without CR, LF or NUL characters');
      }
      if (SECRET_HEADER.test(name)) registerSecret(value);
      copy[name] = value;
    }
    this.url = url;
    this.headers = Object.freeze(copy);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that a throw rejects: runConnection settles both ends
  async openSink(io: StreamIO): Promise<Writable | null> {
    return openChunkedHttpSink(this.url, { ...this.headers }, { signal: io.signal });
  }

  /** Names the endpoint without its query or credentials, which may carry a token. */
  describe(): string {
    const url = new URL(this.url);
    return `HTTP POST ${url.origin}${url.pathname}`;
  }
}
