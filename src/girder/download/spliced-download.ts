import type { Writable } from 'node:stream';
import { StreamError, messageOf } from '../../core/errors.js';
import type { DirectCopyResult, FifoTarget } from '../../direct-io/direct-copy.js';
import { errnoCode } from '../../streams/fifo-fd.js';
import { spliceAvailable, spliceToFifo } from '../../direct-io/splice-copy.js';
import type { SocketBody } from '../http/socket-body.js';
import { downloadedBytes } from './downloaded-bytes.js';
import { Resumption } from './resumption.js';

/**
 * A download into a FIFO without a byte through Node: each connection's body is spliced from the
 * socket into the pipe by a child (spliceToFifo), after the few bytes that came in with the
 * response's head. Node's HTTP client caps a download at about a third of curl's speed on a small
 * machine; this matches curl. Resumption works as in the streamed path: a connection that drops or
 * goes silent is asked again from the last byte that reached the pipe.
 *
 * Resolves undefined, having asked nothing, where splice cannot run; if Girder (or a proxy)
 * answers with a body that is not plain bytes of known length, the rest goes through Node's client.
 */
export async function spliceDownload(
  resumption: Resumption,
  fifo: FifoTarget,
  copySignal: AbortSignal | undefined,
): Promise<DirectCopyResult | undefined> {
  if (!(await spliceAvailable())) return undefined;
  const signal = copySignal ?? resumption.options.signal;
  let spliced = false;
  const result = (endedEarly: boolean): DirectCopyResult => ({
    endedEarly,
    path: spliced ? 'splice' : 'node',
    bytes: resumption.received,
  });
  for (;;) {
    let dropped: unknown;
    let body: SocketBody | null | undefined;
    try {
      body = (await resumption.open<SocketBody | null>('socket', (data) => data?.socket.destroy())).data;
    } catch (error) {
      if (!Resumption.retryable(error)) throw error;
      dropped = error;
    }
    if (body === null) return result((await writeThroughNode(resumption, fifo.stream)).endedEarly);
    if (body) {
      try {
        resumption.expect(body.buffered.length + body.remaining);
      } catch (error) {
        body.socket.destroy();
        throw error;
      }
      if (await writeEndedEarly(fifo.stream, body.buffered)) {
        body.socket.destroy();
        return result(true);
      }
      resumption.add(body.buffered.length);
      spliced = true;
      const moved = await spliceToFifo(body.socket, fifo.fd, {
        bytes: body.remaining,
        idleTimeoutMs: resumption.client.policy.timeoutMs,
        signal,
      });
      if (moved.endedEarly) return result(true);
      resumption.add(moved.bytes);
      if (moved.shortBecause) dropped = new Error(moved.shortBecause);
    }
    if (await resumption.next(dropped)) return result(false);
  }
}

/** The rest of the download through Node's HTTP client, into the FIFO's stream. */
async function writeThroughNode(resumption: Resumption, sink: Writable): Promise<{ endedEarly: boolean }> {
  for await (const chunk of downloadedBytes(resumption)) {
    if (await writeEndedEarly(sink, chunk)) return { endedEarly: true };
  }
  return { endedEarly: false };
}

/**
 * Writes `bytes` and waits until the FIFO took them (so that a child writing next cannot overtake
 * them): true when the container had closed its end (EPIPE).
 */
function writeEndedEarly(sink: Writable, bytes: Buffer): Promise<boolean> {
  if (bytes.length === 0) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    sink.write(bytes, (error) => {
      if (!error) resolve(false);
      else if (errnoCode(error) === 'EPIPE') resolve(true);
      else reject(new StreamError(`Writing failed: ${messageOf(error)}`, { cause: error }));
    });
  });
}
