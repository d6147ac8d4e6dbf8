import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { GirderClient } from '../girder-client.js';
import { joined } from './known-size-upload-sink.js';
import { fileBody, memoryBody, type UploadBody } from './upload-body.js';
import type { GirderFileDoc } from './upload-documents.js';
import { finishUpload, startUpload, type NewFile } from './start-upload.js';

export interface SpooledSinkOptions {
  signal: AbortSignal;
  action: string;
  /** A directory for the spill file, removed when the task ends (`ctx.makeTempDir`). */
  makeTempDir: () => Promise<string>;
}

/**
 * Uploads a stream of unknown length: Girder must know a file's size when its upload opens, so
 * the bytes are kept until the stream ends. Up to one chunk (`client.chunkSize`) stays in
 * memory and is uploaded from there; past that, everything goes to a file in a temporary
 * directory of the task, uploaded (and resumable, being a file) once the stream has ended.
 * The writer is held back only by the disk, never by Girder.
 */
export class SpooledUploadSink extends Writable {
  readonly #client: GirderClient;
  readonly #file: Omit<NewFile, 'size'>;
  readonly #options: SpooledSinkOptions;
  readonly #abort = new AbortController();
  readonly #signal: AbortSignal;
  #buffers: Buffer[] = [];
  #size = 0;
  #spill: { path: string; stream: WriteStream } | undefined;
  #uploaded: GirderFileDoc | undefined;

  constructor(client: GirderClient, file: Omit<NewFile, 'size'>, options: SpooledSinkOptions) {
    super({ highWaterMark: 1 << 20, decodeStrings: true });
    this.#client = client;
    this.#file = file;
    this.#options = options;
    this.#signal = AbortSignal.any([options.signal, this.#abort.signal]);
  }

  /** The Girder file, once uploaded. */
  get file(): GirderFileDoc | undefined {
    return this.#uploaded;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#size += chunk.length;
    if (!this.#spill && this.#size <= this.#client.chunkSize) {
      this.#buffers.push(chunk);
      return callback();
    }
    this.#spillOut(chunk).then(() => callback(), callback);
  }

  /** Writes that queued up while the disk was busy, as one. */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    this._write(joined(chunks), 'binary', callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#upload().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#abort.abort(error ?? new Error('the stream was closed'));
    this.#buffers = [];
    const spill = this.#spill;
    if (!spill) return callback(error);
    spill.stream.destroy();
    // The task's temporary directory goes at cleanup anyway; this frees the disk sooner.
    rm(spill.path, { force: true }).then(
      () => callback(error),
      () => callback(error),
    );
  }

  async #spillOut(chunk: Buffer): Promise<void> {
    if (!this.#spill) {
      const dir = await this.#options.makeTempDir();
      const file = path.join(dir, 'upload.spool');
      this.#spill = { path: file, stream: createWriteStream(file, { flags: 'wx', highWaterMark: 1 << 20 }) };
      const held = this.#buffers;
      this.#buffers = [];
      for (const buffer of held) await write(this.#spill.stream, buffer);
    }
    await write(this.#spill.stream, chunk);
  }

  async #upload(): Promise<void> {
    let body: UploadBody;
    if (this.#spill) {
      this.#spill.stream.end();
      await finished(this.#spill.stream);
      body = fileBody(this.#spill.path, this.#size);
    } else {
      body = memoryBody(this.#buffers, this.#file.name);
    }
    const step = { signal: this.#signal, action: this.#options.action };
    const answer = await startUpload(this.#client, { ...this.#file, size: this.#size }, step);
    this.#uploaded = await finishUpload(this.#client, answer, body, step);
    this.#buffers = [];
  }
}

/** Writes one buffer, waiting for the disk when the stream's buffer is full. */
function write(stream: WriteStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    stream.once('error', onError);
    const settle = (): void => {
      stream.off('error', onError);
      resolve();
    };
    if (stream.write(chunk)) settle();
    else stream.once('drain', settle);
  });
}
