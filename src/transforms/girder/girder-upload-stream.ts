import type { Writable } from 'node:stream';
import { ValidationError } from '../../core/errors.js';
import type { TaskContext } from '../../execution/task-context.js';
import type { StreamIO, StreamSink } from '../../execution/endpoints.js';
import type { GirderClient } from '../../girder/girder-client.js';
import type { GirderConnection } from '../../girder/girder-connection.js';
import { KnownSizeUploadSink } from '../../girder/upload/known-size-upload-sink.js';
import { guessMimeType } from '../../girder/upload/mime-type.js';
import { SpooledUploadSink } from '../../girder/upload/spooled-upload-sink.js';
import type { NewFile } from '../../girder/upload/start-upload.js';
import {
  checkConnection,
  checkFileName,
  checkObjectId,
  checkOptionalSize,
} from '../../girder/girder-args.js';
import { checkOptions } from './girder-upload-hook-args.js';

export interface GirderUploadStreamOptions {
  /** The item that receives the file (give this or `folderId`). */
  itemId?: string | undefined;
  /** The folder that receives the file, in a new item of its name (give this or `itemId`). */
  folderId?: string | undefined;
  /** The file's name in Girder. */
  name: string;
  /** The exact number of bytes the container writes, when known: then nothing touches the disk. */
  size?: number | null | undefined;
  /** By default guessed from the name's extension (none for unknown ones). */
  mimeType?: string | undefined;
  /** A Girder connection of its own; the task's when null or absent. */
  gc?: GirderConnection | null | undefined;
}

/**
 * A Girder file as the sink of a `Connect`: what the container writes into a pipe goes straight
 * to Girder while it runs.
 *
 *   new Connect(new NamedOutputPipe('out'), new GirderUploadStream({ itemId, name: 'out.bin', size }))
 *
 * Girder must know a file's size when its upload opens. With `size` given, the upload opens
 * before the container starts writing and each chunk streams from the pipe as it arrives, with
 * no temporary file; the container must then write exactly that many bytes, and must not pause
 * within a chunk for longer than the client's `timeoutMs` (60 s by default), which would drop the
 * chunk's request (a stream cannot be sent again). Without a size, up to
 * one chunk (`chunkSize`, 64 MiB by default) is held in memory and uploaded once the container
 * closes the pipe; a longer stream spills to a file in a temporary directory of the task (removed
 * when the task ends) and is uploaded from there once the stream has ended.
 *
 * The parent is checked before the container starts. A refused or broken upload fails the task
 * (a StreamError whose cause is the GirderHttpError or GirderUploadError) and closes the pipe,
 * so the container gets EPIPE instead of hanging. Unlike an upload from a file, nothing is
 * compared with files already in the item: each run adds a file.
 */
export class GirderUploadStream implements StreamSink {
  readonly itemId: string | null;
  readonly folderId: string | null;
  readonly name: string;
  readonly size: number | null;
  readonly mimeType: string | null;
  readonly gc: GirderConnection | null;

  constructor(options: GirderUploadStreamOptions) {
    const opts = checkOptions(options);
    const hasItem = opts.itemId !== undefined && opts.itemId !== null;
    const hasFolder = opts.folderId !== undefined && opts.folderId !== null;
    if (hasItem === hasFolder) {
      throw new ValidationError('itemId', opts.itemId, 'either an itemId or a folderId, not both');
    }
    this.itemId = hasItem ? checkObjectId('itemId', opts.itemId) : null;
    this.folderId = hasFolder ? checkObjectId('folderId', opts.folderId) : null;
    this.name = checkFileName('name', opts.name);
    this.size = checkOptionalSize('size', opts.size);
    if (opts.mimeType !== undefined && (typeof opts.mimeType !== 'string' || opts.mimeType === '')) {
      throw new ValidationError('mimeType', opts.mimeType, 'a MIME type such as text/plain');
    }
    this.mimeType = opts.mimeType ?? guessMimeType(this.name) ?? null;
    this.gc = checkConnection(opts.gc);
  }

  /** Checks the parent (it exists, and this task may see it) before the container starts. */
  async bind(ctx: TaskContext): Promise<StreamSink> {
    const client = ctx.girder(this.gc);
    const [kind, id] = this.#parent();
    await client.get(`${kind}/${id}`, undefined, { signal: ctx.signal, action: this.#action() });
    return new BoundUploadStream(this, client, ctx, this.#action());
  }

  openSink(_io: StreamIO): Promise<Writable | null> {
    return Promise.reject(new Error('GirderUploadStream opens only through a Connect'));
  }

  /** The Girder file this stream makes, for the task's messages. */
  newFile(): Omit<NewFile, 'size'> {
    const [parentType, parentId] = this.#parent();
    return { parentType, parentId, name: this.name, mimeType: this.mimeType ?? undefined };
  }

  describe(): string {
    const [kind, id] = this.#parent();
    return `Girder upload of ${this.name} to ${kind} ${id}`;
  }

  toString(): string {
    const [kind, id] = this.#parent();
    return `GirderUploadStream(${JSON.stringify(this.name)} -> ${kind} ${id})`;
  }

  #parent(): ['item' | 'folder', string] {
    return this.itemId !== null ? ['item', this.itemId] : ['folder', this.folderId ?? ''];
  }

  #action(): string {
    const [kind, id] = this.#parent();
    return `upload ${this.name} to ${kind} ${id}`;
  }
}

/** The stream for one task: its client, its cancel signal and its temporary directories. */
class BoundUploadStream implements StreamSink {
  constructor(
    readonly stream: GirderUploadStream,
    readonly client: GirderClient,
    readonly ctx: TaskContext,
    readonly action: string,
  ) {}

  async openSink(io: StreamIO): Promise<Writable | null> {
    const signal = AbortSignal.any([io.signal, this.ctx.signal]);
    const file = this.stream.newFile();
    if (this.stream.size !== null) {
      return KnownSizeUploadSink.open(
        this.client,
        { ...file, size: this.stream.size },
        { signal, action: this.action },
      );
    }
    return new SpooledUploadSink(this.client, file, {
      signal,
      action: this.action,
      makeTempDir: () => this.ctx.makeTempDir(),
    });
  }

  describe(): string {
    return this.stream.describe();
  }
}
