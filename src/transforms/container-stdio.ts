import type { Readable } from 'node:stream';
import type { LogStream } from '../execution/reporter.js';
import type { StreamIO, StreamSource } from '../execution/endpoints.js';

abstract class ContainerStdio implements StreamSource {
  protected abstract readonly stream: LogStream;

  openSource(io: StreamIO): Promise<Readable | null> {
    return Promise.resolve(io.containerOutput(this.stream));
  }

  describe(): string {
    return `the container's ${this.stream}`;
  }
}

/** The container's standard output, as the source of a `Connect`. */
export class ContainerStdOut extends ContainerStdio {
  protected readonly stream = 'stdout';
}

/** The container's standard error, as the source of a `Connect`. */
export class ContainerStdErr extends ContainerStdio {
  protected readonly stream = 'stderr';
}
