import type { Readable } from 'node:stream';
import { openFifoReader } from '../streams/index.js';
import { NamedPipe, ResolvedFifo } from './named-pipe.js';
import type { StreamIO, StreamSource } from '../execution/endpoints.js';

/** A named pipe of one task that the container writes: the host reads it. */
export class ResolvedOutputFifo extends ResolvedFifo implements StreamSource {
  openSource(io: StreamIO): Promise<Readable | null> {
    return openFifoReader(this.hostPath, { containerExited: io.containerExited });
  }
}

/**
 * A named pipe the container opens for writing, to stream data out of it: connect it to a sink
 * with `Connect(new NamedOutputPipe(name), sink)`. As an argument it becomes its container path.
 */
export class NamedOutputPipe extends NamedPipe<ResolvedOutputFifo> {
  protected override createEndpoint(hostPath: string, containerPath: string): ResolvedOutputFifo {
    return new ResolvedOutputFifo(hostPath, containerPath);
  }
}
