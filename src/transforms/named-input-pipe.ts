import type { Writable } from 'node:stream';
import { openFifoWriter } from '../streams/index.js';
import { NamedPipe, ResolvedFifo } from './named-pipe.js';
import type { StreamIO, StreamSink } from '../execution/endpoints.js';

/** A named pipe of one task that the container reads: the host writes it. */
export class ResolvedInputFifo extends ResolvedFifo implements StreamSink {
  /** `null` when the container exited without ever opening the pipe. */
  openSink(io: StreamIO): Promise<Writable | null> {
    return openFifoWriter(this.hostPath, { containerExited: io.containerExited, signal: io.signal });
  }
}

/**
 * A named pipe the container opens for reading, to stream data into it: connect a source to it
 * with `Connect(source, new NamedInputPipe(name))`. As an argument it becomes its container path.
 */
export class NamedInputPipe extends NamedPipe<ResolvedInputFifo> {
  protected override createEndpoint(hostPath: string, containerPath: string): ResolvedInputFifo {
    return new ResolvedInputFifo(hostPath, containerPath);
  }
}
