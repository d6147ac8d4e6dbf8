import { backoffDelay, sleep } from '../../core/backoff.js';
import type { GirderFile } from '../documents.js';
import { GirderHttpError, GirderTransferError } from '../errors.js';
import type { GirderClient } from '../girder-client.js';
import { isRetryable, type GirderResponse } from '../http/girder-http.js';

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

  constructor(
    readonly client: GirderClient,
    readonly file: Pick<GirderFile, '_id' | 'name' | 'size'>,
    readonly options: ResumptionOptions,
  ) {
    this.#maxResumes = options.resumes ?? client.policy.retries;
    this.path = `file/${file._id}/download`;
    this.action = `download file ${file._id} (${file.name})`;
  }

  get complete(): boolean {
    return this.received === this.file.size;
  }

  /**
   * Asks for the bytes not received yet. A server that ignores the Range of a resumption fails
   * the download (its bytes would start over); `discard` releases what it sent.
   */
  async open<T>(responseType: 'stream' | 'socket', discard: (data: T) => void): Promise<GirderResponse<T>> {
    const response = await this.client.request<T>('GET', this.path, {
      responseType,
      signal: this.options.signal,
      action: this.action,
      headers: this.received > 0 ? { Range: `bytes=${this.received}-` } : undefined,
    });
    if (this.received > 0 && response.status !== 206) {
      discard(response.data);
      throw new GirderTransferError(
        `Could not ${this.action}: the server ignored the Range request to resume at byte ${this.received}`,
      );
    }
    return response;
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
