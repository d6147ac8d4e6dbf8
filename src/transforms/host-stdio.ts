import type { Writable } from 'node:stream';
import { createHostStdioSink } from '../streams/index.js';
import type { StreamIO, StreamSink } from '../execution/endpoints.js';

/** This process's standard output, as the sink of a `Connect`. It is never ended or closed. */
export class HostStdOut implements StreamSink {
  openSink(_io: StreamIO): Promise<Writable | null> {
    return Promise.resolve(createHostStdioSink('stdout'));
  }

  describe(): string {
    return 'host stdout';
  }
}

/** This process's standard error, as the sink of a `Connect`. It is never ended or closed. */
export class HostStdErr implements StreamSink {
  openSink(_io: StreamIO): Promise<Writable | null> {
    return Promise.resolve(createHostStdioSink('stderr'));
  }

  describe(): string {
    return 'host stderr';
  }
}
