import type { Readable } from 'node:stream';
import { backoffDelay, sleep } from '../../core/backoff.js';
import type { GirderFile } from '../documents.js';
import { GirderHttpError, GirderTransferError } from '../errors.js';
import type { GirderClient } from '../girder-client.js';
import { isRetryable, type GirderResponse } from '../http/girder-http.js';
import { MAX_REDIRECTS, REDIRECT_STATUSES, redirectTarget, sameOrigin } from './redirect.js';

export interface ResumptionOptions {
  signal?: AbortSignal | undefined;
  /** Resumptions allowed after the connection drops (default: the client's retries). */
  resumes?: number | undefined;
}

/**
 * The bookkeeping of one download that survives dropped connections: how many bytes arrived, the
 * `Range` request that asks for the rest, and how often and how patiently to ask again. Whoever
 * moves the bytes (Node's stream, or a splice child) reports them here.
 */
export class Resumption {
  readonly action: string;
  readonly path: string;
  received = 0;
  #resumes = 0;
  readonly #maxResumes: number;
  /** Where Girder's last redirect led (an object store's signed URL): resumptions ask there. */
  #location: string | undefined;
  #refreshes = 0;

  constructor(
    readonly client: GirderClient,
    readonly file: Pick<GirderFile, '_id' | 'name' | 'size'>,
    readonly options: ResumptionOptions,
  ) {
    this.#maxResumes = options.resumes ?? client.policy.retries;
    this.path = `file/${file._id}/download`;
    this.action = `download file ${file._id} (${file.name})`;
  }

  /** Where the next request goes: Girder, or where its last redirect led. */
  get url(): string {
    return this.#location ?? this.client.url(this.path);
  }

  get complete(): boolean {
    return this.received === this.file.size;
  }

  /**
   * Asks for the bytes not received yet, following redirects (a redirect's body is discarded, and
   * Girder's token goes only where Girder is). A signed URL that the store refuses (expired) sends
   * the request back to Girder for a new one. A server that ignores the Range of a resumption
   * fails the download (its bytes would start over); `discard` releases what it sent.
   *
   * Asked for a 'socket' body of a URL a raw socket cannot reach (TLS, a proxy), it answers 200
   * with null data without asking: the caller takes Node's path, which asks again.
   */
  async open<T>(responseType: 'stream' | 'socket', discard: (data: T) => void): Promise<GirderResponse<T>> {
    const range = this.received > 0 ? { Range: `bytes=${this.received}-` } : undefined;
    for (let hops = 0; ;) {
      const url = this.#location ?? this.client.url(this.path);
      if (responseType === 'socket' && !this.client.rawSocketReaches(url)) {
        return { status: 200, headers: {}, data: null as T };
      }
      let response: GirderResponse<T>;
      try {
        response = await this.#ask<T>(url, responseType, range);
      } catch (error) {
        if (!this.#mayRefresh(error)) throw error;
        this.#location = undefined;
        continue;
      }
      if (REDIRECT_STATUSES.has(response.status)) {
        // Read to its end, a redirect's few bytes give the connection back for the next request.
        if (responseType === 'stream') await drained(response.data as Readable);
        discard(response.data);
        this.follow(response.headers.location, url, ++hops);
        continue;
      }
      if (this.received > 0 && response.status !== 206) {
        discard(response.data);
        throw new GirderTransferError(
          `Could not ${this.action}: the server ignored the Range request to resume at byte ${this.received}`,
        );
      }
      return response;
    }
  }

  /** Takes a redirect (the `hops`-th of this request): where the next request goes, once checked. */
  follow(location: string | undefined, from: string, hops: number): void {
    if (hops > MAX_REDIRECTS) {
      throw new GirderTransferError(`Could not ${this.action}: more than ${MAX_REDIRECTS} redirects`);
    }
    this.#location = redirectTarget(location, from, this.action).href;
  }

  /**
   * The next request as a child makes it (without Range: the child resumes at `received`): the URL
   * (Girder's, or where the last redirect led) and its headers, the token only for Girder's origin.
   */
  async nextRequest(): Promise<{ url: string; headers: Record<string, string> }> {
    const url = this.url;
    const token = sameOrigin(url, this.client.apiUrl) ? await this.client.token(this.options.signal) : null;
    return { url, headers: token ? { 'Girder-Token': token } : {} };
  }

  #ask<T>(
    url: string,
    responseType: 'stream' | 'socket',
    range: Record<string, string> | undefined,
  ): Promise<GirderResponse<T>> {
    const options = { responseType, signal: this.options.signal, action: this.action };
    if (this.#location === undefined)
      return this.client.request<T>('GET', this.path, { ...options, headers: range });
    return (async () => {
      const token = sameOrigin(url, this.client.apiUrl) ? await this.client.token(this.options.signal) : null;
      return this.client.requestUrl<T>('GET', url, {
        ...options,
        headers: { ...range, ...(token ? { 'Girder-Token': token } : {}) },
      });
    })();
  }

  /** An object store refusing a signed URL (S3: 403 once it expired): ask Girder again, a few times. */
  #mayRefresh(error: unknown): boolean {
    if (this.#location === undefined || !(error instanceof GirderHttpError)) return false;
    if (error.status !== 403 && error.status !== 401 && error.status !== 410) return false;
    return ++this.#refreshes <= 3;
  }

  /** Fails before `bytes` more are taken if they would run past the file's size. */
  expect(bytes: number): void {
    if (this.received + bytes > this.file.size) {
      throw new GirderTransferError(
        `Could not ${this.action}: more than its ${this.file.size} bytes arrived`,
      );
    }
  }

  add(bytes: number): void {
    this.expect(bytes);
    this.received += bytes;
  }

  /** Whether a request's failure is worth a resumption: no answer, or a 5xx. */
  static retryable(error: unknown): boolean {
    return error instanceof GirderHttpError && isRetryable(error);
  }

  /**
   * After an attempt ended (`dropped` says why it stopped short): true when every byte is in;
   * otherwise waits the backoff before the next attempt, or throws once resumptions run out.
   */
  async next(dropped: unknown): Promise<boolean> {
    if (this.complete) return true;
    this.options.signal?.throwIfAborted();
    if (this.#resumes >= this.#maxResumes) {
      throw new GirderTransferError(
        `Could not ${this.action}: the connection dropped at byte ${this.received} of ${this.file.size}, ${this.#resumes} time(s) resumed`,
        { cause: dropped },
      );
    }
    this.#resumes += 1;
    await sleep(
      backoffDelay(this.#resumes, { initialMs: this.client.policy.retryDelayMs, maxMs: 5000 }),
      this.options.signal,
    );
    return false;
  }
}

/** Reads a short body away (a redirect's page); a long one is left for `discard` to destroy. */
async function drained(body: Readable): Promise<void> {
  let bytes = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > 64 * 1024) return;
    }
  } catch {
    // A body that fails to arrive is discarded all the same.
  }
}
