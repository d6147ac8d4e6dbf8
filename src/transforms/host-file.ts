import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ValidationError } from '../core/errors.js';
import { openHostFileReader, openHostFileWriter } from '../streams/index.js';
import type { StreamIO, StreamSink, StreamSource } from '../execution/endpoints.js';

/** A file of the host: the source of a `Connect` (it is read) or its sink (it is written). */
export class HostFile implements StreamSource, StreamSink {
  readonly path: string;

  constructor(filePath: string) {
    if (typeof filePath !== 'string' || !path.isAbsolute(filePath) || filePath.includes('\0')) {
      throw new ValidationError('path', filePath, 'an absolute host file path');
    }
    this.path = path.normalize(filePath);
  }

  async openSource(_io: StreamIO): Promise<Readable | null> {
    return openHostFileReader(this.path);
  }

  async openSink(_io: StreamIO): Promise<Writable | null> {
    return openHostFileWriter(this.path);
  }

  describe(): string {
    return `host file ${this.path}`;
  }
}
