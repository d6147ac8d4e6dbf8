import type { Readable } from 'node:stream';
import type { TaskContext } from '../../execution/task-context.js';
import type { StreamIO, StreamSource } from '../../execution/endpoints.js';
import type { GirderFile } from '../../girder/documents.js';
import { getFile } from '../../girder/download/download-to-disk.js';
import { openFileDownload } from '../../girder/download/file-download.js';
import type { GirderClient } from '../../girder/girder-client.js';
import type { GirderConnection } from '../../girder/girder-connection.js';
import { checkGirderArgs } from './girder-input.js';

export interface GirderFileIdToStreamOptions {
  gc?: GirderConnection | null | undefined;
}

/**
 * A Girder file streamed into the container while it runs, as the input of a `Connect`:
 * `new Connect(new GirderFileIdToStream(id), new NamedInputPipe('in'))`. Nothing touches the
 * disk; a dropped connection resumes from the last byte received.
 */
export class GirderFileIdToStream implements StreamSource {
  readonly fileId: string;
  readonly gc: GirderConnection | null;

  constructor(fileId: string, options: GirderFileIdToStreamOptions = {}) {
    const checked = checkGirderArgs('fileId', fileId, options.gc);
    this.fileId = checked.id;
    this.gc = checked.gc;
  }

  /** Looks the file up before the container starts: a missing file fails the task before it runs. */
  async bind(ctx: TaskContext): Promise<StreamSource> {
    const client = ctx.girder(this.gc);
    const file = await getFile(client, this.fileId, { signal: ctx.signal });
    return new BoundFileStream(client, file);
  }

  openSource(_io: StreamIO): Promise<Readable | null> {
    return Promise.reject(new Error('GirderFileIdToStream opens only through a Connect'));
  }

  describe(): string {
    return `Girder file ${this.fileId}`;
  }

  toString(): string {
    return `GirderFileIdToStream(${this.fileId})`;
  }
}

class BoundFileStream implements StreamSource {
  constructor(
    readonly client: GirderClient,
    readonly file: GirderFile,
  ) {}

  openSource(io: StreamIO): Promise<Readable | null> {
    return Promise.resolve(openFileDownload(this.client, this.file, { signal: io.signal }));
  }

  describe(): string {
    return `Girder file ${this.file._id} (${this.file.name})`;
  }
}
