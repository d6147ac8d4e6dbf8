import type { DirectCopyResult, FifoTarget } from '../../direct-io/direct-copy.js';
import { spliceAvailable, spliceToFifo } from '../../direct-io/splice-copy.js';
import type { SocketBody } from '../http/socket-body.js';
import { curlDownload } from './curl-download.js';
import { writeEndedEarly, writeThroughNode } from './fifo-writes.js';
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
    if (body === null) {
      // A redirect led where no raw socket goes (an HTTPS store): curl, where it runs.
      const byCurl = resumption.client.rawSocketReaches(resumption.url)
        ? undefined
        : await curlDownload(resumption, fifo, signal);
      return byCurl ?? result((await writeThroughNode(resumption, fifo.stream)).endedEarly);
    }
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
