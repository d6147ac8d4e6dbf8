import { finished, type Readable, type Writable } from 'node:stream';
import { StreamError, messageOf } from '../core/errors.js';
import { errnoCode } from './fifo-fd.js';

export interface PumpOptions {
  /** Aborting stops the copy: both streams are destroyed and the pump rejects. */
  signal?: AbortSignal;
}

export interface PumpResult {
  /** Bytes handed to the sink. */
  bytes: number;
  /** The sink's reader went away before the end (EPIPE), like `head` does; not an error. */
  endedEarly: boolean;
}

/**
 * Copies `source` into `sink` with backpressure, like `stream.pipeline`, but tells which side
 * failed: a container that closes its read end early (EPIPE on the sink) is a normal end, while
 * any other failure rejects with a StreamError. Either way both streams are destroyed, so no
 * descriptor outlives the pump. The sink is ended when the source ends; a sink that must not
 * close what it writes to (the host's stdout) handles that itself.
 */
export function pump(source: Readable, sink: Writable, options: PumpOptions = {}): Promise<PumpResult> {
  const { signal } = options;
  return new Promise<PumpResult>((resolve, reject) => {
    let bytes = 0;
    let settled = false;

    const onData = (chunk: Buffer | string): void => {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      if (!sink.write(chunk)) source.pause();
    };
    const onDrain = (): void => {
      source.resume();
    };
    const onAbort = (): void => {
      settle(new StreamError(`Stream stopped: ${messageOf(signal?.reason)}`, { cause: signal?.reason }));
    };

    const stopWatchingSource = finished(source, { writable: false }, (error) => {
      if (error) settle(new StreamError(`Reading failed: ${messageOf(error)}`, { cause: error }));
      else sink.end();
    });
    const stopWatchingSink = finished(sink, { readable: false }, (error) => {
      if (!error) settle();
      else if (errnoCode(error) === 'EPIPE') settle(undefined, true);
      else settle(new StreamError(`Writing failed: ${messageOf(error)}`, { cause: error }));
    });

    function settle(error?: StreamError, endedEarly = false): void {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      sink.off('drain', onDrain);
      signal?.removeEventListener('abort', onAbort);
      stopWatchingSource();
      stopWatchingSink();
      // Late errors (a second EPIPE, a write after destroy) must not crash the process now that
      // nobody listens.
      source.on('error', ignore);
      sink.on('error', ignore);
      source.destroy();
      sink.destroy();
      if (error) reject(error);
      else resolve({ bytes, endedEarly });
    }

    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    sink.on('drain', onDrain);
    source.on('data', onData);
    // A 'data' listener alone does not restart a source its owner paused.
    source.resume();
  });
}

function ignore(): void {}
