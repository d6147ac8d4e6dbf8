import type { Readable, Writable } from 'node:stream';
import { LongshoreError, StreamError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { StreamIO, StreamSink, StreamSource } from './endpoints.js';
import { copyDirectly } from '../direct-io/direct-copy.js';
import { logTransfer, transferClock } from '../direct-io/transfer-log.js';
import { pump } from '../streams/pump.js';

/**
 * Runs one `Connect`: opens its source and sink at once (each may wait for the container), then
 * copies. When either side has nothing to open (null) the other is closed and nothing moves.
 *
 * When one open fails, the other is still awaited and then closed rather than abandoned: its wait
 * is bounded by the container's exit, and closing it lets a container blocked on its FIFO see
 * EOF instead of waiting forever.
 *
 * Each copy logs, at debug, the path its bytes took (`logger`, default the process's).
 */
export async function runConnection(
  source: StreamSource,
  sink: StreamSink,
  io: StreamIO,
  logger?: Logger,
): Promise<void> {
  const [opened, sunk] = await Promise.allSettled([source.openSource(io), sink.openSink(io)]);
  const input = opened.status === 'fulfilled' ? opened.value : null;
  const output = sunk.status === 'fulfilled' ? sunk.value : null;

  if (opened.status === 'rejected' || sunk.status === 'rejected' || !input || !output) {
    closeStream(input);
    closeStream(output);
    if (opened.status === 'rejected') throw openError(`open ${source.describe()}`, opened.reason);
    if (sunk.status === 'rejected') throw openError(`open ${sink.describe()}`, sunk.reason);
    return;
  }

  try {
    // A host file into a FIFO needs no byte in Node: a `cat` child copies it (see copyDirectly).
    const startedAt = transferClock();
    const copied = await copyDirectly(input, output, io.signal);
    const { path, bytes } = copied ?? { path: 'node', ...(await pump(input, output, { signal: io.signal })) };
    logTransfer(logger, `${source.describe()} to ${sink.describe()}`, { path, bytes, startedAt });
  } catch (error) {
    throw new StreamError(
      `Streaming ${source.describe()} to ${sink.describe()} failed: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
}

function closeStream(stream: Readable | Writable | null): void {
  if (!stream) return;
  stream.on('error', () => undefined);
  stream.destroy();
}

function openError(what: string, error: unknown): Error {
  if (error instanceof LongshoreError) return error;
  return new StreamError(`Could not ${what}: ${messageOf(error)}`, { cause: error });
}
