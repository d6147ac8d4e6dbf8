import type { Writable } from 'node:stream';
import { StreamError, messageOf } from '../../core/errors.js';
import { errnoCode } from '../../streams/fifo-fd.js';
import { downloadedBytes } from './downloaded-bytes.js';
import type { Resumption } from './resumption.js';

/** The rest of the download through Node's HTTP client, into the FIFO's stream. */
export async function writeThroughNode(
  resumption: Resumption,
  sink: Writable,
): Promise<{ endedEarly: boolean }> {
  for await (const chunk of downloadedBytes(resumption)) {
    if (await writeEndedEarly(sink, chunk)) return { endedEarly: true };
  }
  return { endedEarly: false };
}

/**
 * Writes `bytes` and waits until the FIFO took them (so that a child writing next cannot overtake
 * them): true when the container had closed its end (EPIPE).
 */
export function writeEndedEarly(sink: Writable, bytes: Buffer): Promise<boolean> {
  if (bytes.length === 0) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    sink.write(bytes, (error) => {
      if (!error) resolve(false);
      else if (errnoCode(error) === 'EPIPE') resolve(true);
      else reject(new StreamError(`Writing failed: ${messageOf(error)}`, { cause: error }));
    });
  });
}
