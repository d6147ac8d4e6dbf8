import { PassThrough, Writable } from 'node:stream';
import type { GirderClient } from '../girder-client.js';
import { GirderHttpError } from '../errors.js';
import { isRetryable } from '../http/girder-http.js';
import { sendBody } from './send-body.js';
import {
  chunkOutcome,
  parseUploadAnswer,
  type GirderFileDoc,
  type UploadAnswer,
} from './upload-documents.js';
import { GirderUploadError } from './upload-error.js';
import { markDirectSink, type DirectCopyResult, type FifoSource } from '../../direct-io/direct-copy.js';
import { spliceUpload } from './spliced-upload.js';
import { abandonUpload, reachable, startUpload, type NewFile } from './start-upload.js';

/** A pipe read is at most 1 MiB: buffer about that much before the writer waits. */
const BUFFER = 1 << 20;

interface ChunkInFlight {
  body: PassThrough;
  end: number;
  /** Girder's answer; settles when the request does (never rejects unhandled). */
  done: Promise<UploadAnswer>;
  settled: boolean;
}

export interface KnownSizeSinkOptions {
  signal: AbortSignal;
  action: string;
}

/**
 * Streams exactly `size` bytes into a Girder upload as they are written, with nothing on disk:
 * each chunk request's body is fed by the writes, and the next chunk starts once Girder has
 * taken the previous one. A stream cannot be read twice, so a chunk broken by the connection or
 * a 5xx fails the upload (a GirderUploadError, its cause the GirderHttpError) instead of being
 * resumed; a refusal fails it with Girder's own GirderHttpError. Either way the sink is
 * destroyed, which closes the pipe to the container (it gets EPIPE instead of hanging), and the
 * unfinished upload is dropped from the server.
 */
export class KnownSizeUploadSink extends Writable {
  readonly #client: GirderClient;
  readonly #size: number;
  readonly #action: string;
  readonly #uploadId: string | undefined;
  /** Aborts the chunk in flight when the sink is destroyed, or when the task is. */
  readonly #abort = new AbortController();
  readonly #signal: AbortSignal;
  #offset = 0;
  #chunk: ChunkInFlight | undefined;
  #file: GirderFileDoc | undefined;

  /** Opens the upload before any byte arrives, so that a refusal stops the task early. */
  static async open(
    client: GirderClient,
    file: NewFile,
    options: KnownSizeSinkOptions,
  ): Promise<KnownSizeUploadSink> {
    const answer = await startUpload(client, file, options);
    return new KnownSizeUploadSink(client, file.size, answer, options);
  }

  private constructor(
    client: GirderClient,
    size: number,
    answer: UploadAnswer,
    options: KnownSizeSinkOptions,
  ) {
    super({ highWaterMark: BUFFER, decodeStrings: true });
    this.#client = client;
    this.#size = size;
    this.#action = options.action;
    this.#signal = AbortSignal.any([options.signal, this.#abort.signal]);
    if (answer.kind === 'file') this.#file = answer.file;
    else this.#uploadId = answer.upload._id;
    // From the container's FIFO, the bytes can skip Node (see spliceUpload).
    markDirectSink(this, (fifo, signal) => this.#spliceFrom(fifo, signal));
  }

  /** The Girder file, once every byte is in. */
  get file(): GirderFileDoc | undefined {
    return this.#file;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#accept(chunk).then(() => callback(), callback);
  }

  /** Writes that queued up meanwhile, as one: a container's small writes cost one step, not each. */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    this.#accept(joined(chunks)).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#offset !== this.#size || !this.#file) {
      callback(
        new GirderUploadError(
          `Could not ${this.#action}: the stream ended after ${this.#offset} of the ${this.#size} bytes announced`,
        ),
      );
      return;
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#abort.abort(error ?? new GirderUploadError(`${this.#action}: the stream was closed`));
    this.#chunk?.body.destroy();
    if (this.#file || this.#uploadId === undefined || !reachable(error)) return callback(error);
    void abandonUpload(this.#client, this.#uploadId).then(() => callback(error));
  }

  async #spliceFrom(
    fifo: FifoSource,
    copySignal: AbortSignal | undefined,
  ): Promise<DirectCopyResult | undefined> {
    const uploadId = this.#uploadId;
    if (uploadId === undefined || this.#file || this.#offset > 0) return undefined;
    const signal = copySignal ? AbortSignal.any([this.#signal, copySignal]) : this.#signal;
    let file: GirderFileDoc | undefined;
    try {
      file = await spliceUpload(
        this.#client,
        { uploadId, size: this.#size, offset: 0, signal, action: this.#action },
        fifo,
      );
    } catch (error) {
      const explained = this.#explained(error);
      // With the error, so that an unreachable Girder is not asked to drop the upload.
      this.destroy(explained);
      throw explained;
    }
    if (!file) return undefined;
    this.#file = file;
    this.#offset = this.#size;
    return { endedEarly: false, path: 'splice', bytes: this.#size };
  }

  async #accept(data: Buffer): Promise<void> {
    if (this.#offset + data.length > this.#size) {
      throw new GirderUploadError(
        `Could not ${this.#action}: the stream is longer than the ${this.#size} bytes announced`,
      );
    }
    let rest = data;
    while (rest.length > 0) {
      const chunk = this.#chunk ?? this.#startChunk();
      // The request already failed (the sink is being destroyed for it): its error, not a write.
      if (chunk.settled) await this.#earlyAnswer(chunk);
      const part = rest.subarray(0, chunk.end - this.#offset);
      rest = rest.subarray(part.length);
      this.#offset += part.length;
      const roomLeft = chunk.body.write(part);
      if (this.#offset === chunk.end) {
        chunk.body.end();
        await this.#finishChunk(chunk);
      } else if (!roomLeft) {
        await this.#drained(chunk);
      }
    }
  }

  #startChunk(): ChunkInFlight {
    const uploadId = this.#uploadId;
    if (uploadId === undefined) {
      throw new GirderUploadError(`Could not ${this.#action}: the upload is already complete`);
    }
    const offset = this.#offset;
    const end = Math.min(offset + this.#client.chunkSize, this.#size);
    const body = new PassThrough({ highWaterMark: BUFFER });
    const done = sendBody<unknown>(this.#client, 'POST', 'file/chunk', {
      query: { offset, uploadId },
      body,
      length: end - offset,
      signal: this.#signal,
      action: this.#action,
    }).then((data) => parseUploadAnswer(data, { method: 'POST', path: 'file/chunk', action: this.#action }));
    // Failures arrive through `done`; the body's own errors (a write after the request broke)
    // must not go unheard and crash the process.
    body.on('error', () => undefined);
    const chunk: ChunkInFlight = { body, end, done, settled: false };
    done.then(
      () => (chunk.settled = true),
      (error: unknown) => {
        chunk.settled = true;
        // Fail now, not at the container's next write: it may be a while, and closing the pipe is
        // what tells the container.
        if (!this.destroyed) this.destroy(this.#explained(error));
      },
    );
    this.#chunk = chunk;
    return chunk;
  }

  async #finishChunk(chunk: ChunkInFlight): Promise<void> {
    const answer = await this.#answerOf(chunk);
    this.#chunk = undefined;
    this.#file = chunkOutcome(answer, chunk.end, this.#size, this.#action) ?? this.#file;
  }

  /** Waits until the request has taken what was written, or has answered (too early). */
  async #drained(chunk: ChunkInFlight): Promise<void> {
    let onDrain: (() => void) | undefined;
    const answered = chunk.done.then(
      () => true,
      () => true,
    );
    try {
      const early = await Promise.race([
        new Promise<false>((resolve) => {
          onDrain = () => resolve(false);
          chunk.body.once('drain', onDrain);
        }),
        answered,
      ]);
      if (early) await this.#earlyAnswer(chunk);
    } finally {
      if (onDrain) chunk.body.off('drain', onDrain);
    }
  }

  /** A chunk's request ended before its last byte was written: its error, or this one. */
  async #earlyAnswer(chunk: ChunkInFlight): Promise<never> {
    await this.#answerOf(chunk);
    throw new GirderUploadError(`Could not ${this.#action}: Girder answered before the chunk was sent`);
  }

  /** The chunk's answer; a broken request becomes an error that says why it is not resumed. */
  async #answerOf(chunk: ChunkInFlight): Promise<UploadAnswer> {
    try {
      return await chunk.done;
    } catch (error) {
      throw this.#explained(error);
    }
  }

  #explained(error: unknown): Error {
    if (error instanceof GirderHttpError && isRetryable(error)) {
      return new GirderUploadError(
        `${error.message}; a stream cannot be sent again, so the upload is not resumed`,
        { cause: error },
      );
    }
    return error instanceof Error
      ? error
      : new GirderUploadError(`Could not ${this.#action}: ${String(error)}`);
  }
}

export function joined(chunks: readonly { chunk: Buffer }[]): Buffer {
  return chunks.length === 1 && chunks[0] ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk));
}
