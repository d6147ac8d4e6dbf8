import http from 'node:http';
import https from 'node:https';
import { Writable } from 'node:stream';
import { StreamError, messageOf } from '../core/errors.js';
import { redact } from '../core/secrets.js';

export interface ChunkedHttpSinkOptions {
  /** Aborting cancels the upload; the sink fails with a StreamError. */
  signal?: AbortSignal;
}

/** Headers we set ourselves: a caller's copy would contradict the chunked body. */
const OWN_HEADERS = new Set(['content-length', 'transfer-encoding']);
const BODY_SHOWN = 200;

/**
 * Uploads what is written as the body of one POST with `Transfer-Encoding: chunked`, as Girder
 * Worker's `ChunkedTransferEncodingStreamWriter` does. The sink finishes only once the server has
 * answered: an answer that is a redirect (not followed: the body cannot be replayed) or an error
 * fails it. Errors show the URL without credentials and never a header value.
 */
export function openChunkedHttpSink(
  url: string,
  headers: Record<string, string>,
  options: ChunkedHttpSinkOptions = {},
): Writable {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not kept as the cause: Node's TypeError carries the raw URL, password included.
    throw new StreamError(`Invalid upload URL ${redact(url)}`);
  }
  const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
  if (!client) throw new StreamError(`Unsupported upload URL ${redact(url)} (http or https only)`);
  return new ChunkedHttpSink(client, parsed, headers, options.signal);
}

class ChunkedHttpSink extends Writable {
  readonly #request: http.ClientRequest;
  readonly #where: string;
  readonly #signal: AbortSignal | undefined;
  /** A write waiting for the request to drain. */
  #writeWaiter: Callback | undefined;
  /** `final`, waiting for the server's answer. */
  #finalWaiter: Callback | undefined;
  #succeeded = false;
  /** Set as soon as an unwanted status arrives, so that a connection error after it does not hide it. */
  #refused = false;
  #failure: Error | undefined;

  constructor(
    client: typeof http | typeof https,
    url: URL,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ) {
    super({ decodeStrings: false });
    this.#where = `POST ${redact(url.href)}`;
    this.#signal = signal;

    const requestHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (!OWN_HEADERS.has(name.toLowerCase())) requestHeaders[name] = value;
    }
    requestHeaders['Transfer-Encoding'] = 'chunked';
    // Node turns the URL's user:password into a basic Authorization header.
    this.#request = client.request(url, { method: 'POST', headers: requestHeaders });
    this.#request.on('error', (error) => {
      if (this.#refused || this.#succeeded) return;
      this.#fail(new StreamError(`${this.#where} failed: ${messageOf(error)}`, { cause: error }));
    });
    this.#request.on('drain', () => {
      const waiter = this.#writeWaiter;
      this.#writeWaiter = undefined;
      waiter?.();
    });
    this.#request.on('response', (response) => this.#onResponse(response));

    if (signal?.aborted) this.#onAbort();
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: Callback): void {
    if (this.#failure) return callback(this.#failure);
    if (this.#request.write(chunk)) callback();
    else this.#writeWaiter = callback;
  }

  override _final(callback: Callback): void {
    if (this.#failure) return callback(this.#failure);
    this.#finalWaiter = callback;
    this.#request.end();
    if (this.#succeeded) this.#finish();
  }

  override _destroy(error: Error | null, callback: Callback): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (!this.#succeeded) this.#request.destroy();
    callback(error);
  }

  #onResponse(response: http.IncomingMessage): void {
    const status = response.statusCode ?? 0;
    if (status < 300) {
      response.resume();
      response.once('end', () => {
        this.#succeeded = true;
        this.#finish();
      });
      return;
    }
    this.#refused = true;
    // Keep the start of the body: Girder explains its refusals there.
    const chunks: Buffer[] = [];
    let kept = 0;
    response.on('data', (chunk: Buffer) => {
      if (kept < BODY_SHOWN) chunks.push(chunk);
      kept += chunk.length;
    });
    const report = (): void => {
      const body = Buffer.concat(chunks).toString('utf8').trim().slice(0, BODY_SHOWN);
      const message =
        status < 400
          ? `Redirects are not supported: ${this.#where} answered ${status}`
          : `${this.#where} answered ${status} ${response.statusMessage ?? ''}`.trimEnd() +
            (body ? `: ${body}` : '');
      this.#fail(new StreamError(message));
    };
    response.once('end', report);
    response.once('close', report);
    response.once('error', report);
  }

  readonly #onAbort = (): void => {
    const reason: unknown = this.#signal?.reason;
    this.#fail(new StreamError(`${this.#where} cancelled: ${messageOf(reason)}`, { cause: reason }));
  };

  #finish(): void {
    const waiter = this.#finalWaiter;
    this.#finalWaiter = undefined;
    waiter?.();
  }

  #fail(error: Error): void {
    if (this.#failure || this.#succeeded) return;
    this.#failure = error;
    this.#request.destroy();
    const waiters = [this.#writeWaiter, this.#finalWaiter].filter((w) => w !== undefined);
    this.#writeWaiter = undefined;
    this.#finalWaiter = undefined;
    if (waiters.length > 0) for (const waiter of waiters) waiter(error);
    else this.destroy(error);
  }
}

type Callback = (error?: Error | null) => void;
