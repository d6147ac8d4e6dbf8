import net from 'node:net';
import { HEAD_LIMIT, findFinalHead, type ResponseHead } from './http-head.js';

/** Where a raw request goes, and its head as written on the wire. */
export interface RawRequest {
  host: string;
  port: number;
  /** The request line and fields, with the blank line that ends them. */
  head: string;
}

/**
 * An answer whose body is still on its connection: `buffered` came in with the head; the rest
 * has not left the kernel.
 */
export interface HeldResponse extends ResponseHead {
  buffered: Buffer;
  /** Not reading. Whoever takes it destroys it. */
  socket: net.Socket;
  /**
   * Reads on to the connection's end (the body of an error answer, whose length does not
   * matter), keeping at most `limit` bytes with `buffered`; the socket is destroyed after.
   */
  readRest(limit: number): Promise<Buffer>;
}

export interface HoldOptions {
  /** The connection's inactivity limit, in ms, until the head is in and while reading on. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Sends a bodiless request on a connection of its own and stops reading right after the final
 * answer's head (interim 1xx answers are read past), so that the body can be handed over whole.
 * Node's HTTP client cannot stop there: it reads on into its buffers. This reads into one fixed
 * buffer and stops at once (an `onread` socket whose callback returns false).
 *
 * Rejects with the abort's reason when `signal` aborts, else with an Error carrying a `code`
 * (ETIMEDOUT, ECONNRESET, a system error's, or ERR_HTTP_* for an answer that is not HTTP/1 or
 * whose head is too long): the request got no answer it can use.
 */
export function holdResponse(request: RawRequest, options: HoldOptions): Promise<HeldResponse> {
  const { signal, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    let buffered = Buffer.alloc(0);
    let settled = false;
    /** Once the head is in: where the rest of the body goes, and who hears its end. */
    let rest: { parts: Buffer[]; kept: number; limit: number; done: (error?: Error) => void } | undefined;

    const finish = (error: unknown, value?: HeldResponse): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      socket.setTimeout(0);
      if (error !== undefined) {
        socket.destroy();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an abort's reason goes on as the signal holds it
        reject(error);
      } else resolve(value!);
    };
    const onAbort = (): void => finish(signal?.reason);
    const noAnswer = (message: string, code: string): Error => Object.assign(new Error(message), { code });

    const onRead = (nread: number, buffer: Uint8Array): boolean => {
      const bytes = Buffer.from(buffer.buffer, buffer.byteOffset, nread);
      if (rest) {
        if (rest.kept < rest.limit) {
          const part = Buffer.from(bytes.subarray(0, rest.limit - rest.kept));
          rest.parts.push(part);
          rest.kept += part.length;
        }
        return true;
      }
      if (settled) return false;
      head = Buffer.concat([head, bytes]);
      let found;
      try {
        found = findFinalHead(head);
      } catch (error) {
        finish(error);
        return false;
      }
      if (!found) return true;
      const { bodyStart, ...answer } = found;
      buffered = Buffer.from(head.subarray(bodyStart));
      finish(undefined, { ...answer, buffered, socket, readRest });
      return false;
    };

    const readRest = (limit: number): Promise<Buffer> =>
      new Promise<Buffer>((done, fail) => {
        const parts = [buffered.subarray(0, limit)];
        rest = {
          parts,
          kept: parts[0]!.length,
          limit,
          done: (error) => {
            socket.setTimeout(0);
            socket.destroy();
            if (error) fail(error);
            else done(Buffer.concat(parts));
          },
        };
        socket.setTimeout(timeoutMs);
        socket.resume();
      });

    const socket = net.connect({
      host: request.host,
      port: request.port,
      onread: { buffer: Buffer.allocUnsafe(HEAD_LIMIT), callback: onRead },
    });
    socket.setTimeout(timeoutMs, () => {
      const error = noAnswer(`no answer within ${timeoutMs} ms`, 'ETIMEDOUT');
      if (rest) rest.done(error);
      else finish(error);
    });
    socket.on('error', (error) => {
      if (rest) rest.done(error);
      else finish(error);
    });
    socket.once('end', () => {
      if (rest) rest.done();
      else finish(noAnswer('the connection closed before an answer', 'ECONNRESET'));
    });
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.write(request.head);
  });
}
