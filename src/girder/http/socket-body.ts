import net from 'node:net';
import { GirderHttpError } from '../errors.js';
import { answerError, jsonOrText, noAnswerError, parseHead, requestHead } from './girder-answer.js';
import type { GirderRequest, GirderResponse, HttpPolicy } from './girder-http.js';

/**
 * A download's body left on its connection, for a reader other than Node (splice into a FIFO):
 * `buffered` came in with the response's head; `remaining` more bytes follow on `socket`, then
 * the server closes it.
 */
export interface SocketBody {
  buffered: Buffer;
  remaining: number;
  /** Not reading: nothing past `buffered` has left the kernel. The taker must destroy it. */
  socket: net.Socket;
}

const HEAD_LIMIT = 64 * 1024;
const ERROR_BODY_LIMIT = 1_000_000;

/** Whether a URL can be answered as a SocketBody: plain HTTP (TLS bytes are no file's bytes). */
export function socketBodySupported(url: string): boolean {
  return url.startsWith('http:');
}

/**
 * Sends a GET on a connection of its own and stops reading right after the response's head, so
 * that the body can be handed over whole. Node's HTTP client cannot stop there: it reads on into
 * its buffers. This reads into one fixed buffer and stops at once (an `onread` socket whose
 * callback returns false), and asks for `Connection: close` so that the body ends the connection.
 *
 * Resolves with null data when the answer is not a plain body of known length (chunked or
 * compressed by a proxy, a redirect): the caller then asks again through `girderRequest`. An
 * error status rejects with Girder's message, as every other request does.
 */
export function sendForSocket(
  request: GirderRequest,
  policy: HttpPolicy,
): Promise<GirderResponse<SocketBody | null>> {
  const {
    head: requestText,
    host,
    port,
  } = requestHead({ ...request, method: 'GET' }, ['Accept-Encoding: identity', 'Connection: close']);

  const fail = (cause: Error): GirderHttpError => noAnswerError({ ...request, method: 'GET' }, cause);

  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    let answer: { status: number; headers: Record<string, string> } | undefined;
    let errorBody: Buffer[] | undefined;
    let settled = false;

    const finish = (error: unknown, value?: GirderResponse<SocketBody | null>): void => {
      if (settled) return;
      settled = true;
      request.signal?.removeEventListener('abort', onAbort);
      socket.setTimeout(0);
      if (error !== undefined || !value?.data) socket.destroy();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an abort's reason goes on as the signal holds it
      if (error !== undefined) reject(error);
      else resolve(value!);
    };
    const onAbort = (): void => finish(request.signal?.reason);

    const onRead = (nread: number, buffer: Uint8Array): boolean => {
      const bytes = Buffer.from(buffer.buffer, buffer.byteOffset, nread);
      if (errorBody) {
        errorBody.push(Buffer.from(bytes));
        return true;
      }
      head = Buffer.concat([head, bytes]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > HEAD_LIMIT) finish(fail(new Error('the response head is too long')));
        return true;
      }
      try {
        answer = parseHead(head.subarray(0, end).toString('latin1'));
      } catch (error) {
        finish(fail(error as Error));
        return false;
      }
      const body = Buffer.from(head.subarray(end + 4));
      if (answer.status >= 400) {
        errorBody = [body];
        return true;
      }
      const length = Number(answer.headers['content-length'] ?? NaN);
      const plain =
        (answer.status === 200 || answer.status === 206) &&
        answer.headers['transfer-encoding'] === undefined &&
        (answer.headers['content-encoding'] ?? 'identity') === 'identity' &&
        Number.isSafeInteger(length) &&
        length >= body.length;
      const data = plain ? { buffered: body, remaining: length - body.length, socket } : null;
      finish(undefined, { status: answer.status, headers: answer.headers, data });
      return false;
    };

    const socket = net.connect({
      host,
      port,
      onread: { buffer: Buffer.allocUnsafe(HEAD_LIMIT), callback: onRead },
    });
    socket.setTimeout(policy.timeoutMs, () =>
      finish(
        fail(Object.assign(new Error(`no answer within ${policy.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      ),
    );
    socket.once('error', (error) => finish(fail(error)));
    socket.once('end', () => {
      if (!answer) {
        finish(
          fail(Object.assign(new Error('the connection closed before an answer'), { code: 'ECONNRESET' })),
        );
        return;
      }
      const text = Buffer.concat(errorBody ?? [])
        .subarray(0, ERROR_BODY_LIMIT)
        .toString('utf8');
      finish(answerError({ ...request, method: 'GET' }, answer.status, jsonOrText(text)));
    });
    if (request.signal?.aborted) {
      onAbort();
      return;
    }
    request.signal?.addEventListener('abort', onAbort, { once: true });
    socket.write(requestText);
  });
}
