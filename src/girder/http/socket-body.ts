import type net from 'node:net';
import { holdResponse } from '../../direct-io/held-response.js';
import { answerError, jsonOrText, noAnswerError, requestHead } from './girder-answer.js';
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

const ERROR_BODY_LIMIT = 1_000_000;

/** Whether a URL can be answered as a SocketBody: plain HTTP (TLS bytes are no file's bytes). */
export function socketBodySupported(url: string): boolean {
  return url.startsWith('http:');
}

/**
 * Sends a GET whose answer's body stays on its connection (see holdResponse), asking for
 * `Connection: close` so that the body ends the connection.
 *
 * Resolves with null data when the answer is not a plain body of known length (chunked or
 * compressed by a proxy, a redirect): the caller then asks again through `girderRequest`. An
 * error status rejects with Girder's message, as every other request does.
 */
export async function sendForSocket(
  request: GirderRequest,
  policy: HttpPolicy,
): Promise<GirderResponse<SocketBody | null>> {
  const get = { ...request, method: 'GET' as const };
  const raw = requestHead(get, ['Accept-Encoding: identity', 'Connection: close']);
  let answer;
  try {
    answer = await holdResponse(raw, { timeoutMs: policy.timeoutMs, signal: request.signal });
  } catch (error) {
    if (request.signal?.aborted) throw error;
    throw noAnswerError(get, error);
  }
  const { status, headers, buffered, socket } = answer;
  if (status >= 400) {
    let text: string;
    try {
      text = (await answer.readRest(ERROR_BODY_LIMIT)).toString('utf8');
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason ?? error;
      throw noAnswerError(get, error);
    }
    throw answerError(get, status, jsonOrText(text));
  }
  const length = Number(headers['content-length'] ?? NaN);
  const plain =
    (status === 200 || status === 206) &&
    headers['transfer-encoding'] === undefined &&
    (headers['content-encoding'] ?? 'identity') === 'identity' &&
    Number.isSafeInteger(length) &&
    length >= buffered.length;
  if (!plain) {
    socket.destroy();
    return { status, headers, data: null };
  }
  return { status, headers, data: { buffered, remaining: length - buffered.length, socket } };
}
