import net from 'node:net';
import { decodeChunked, findFinalHead, isChunked, type ResponseHead } from './http-head.js';
import type { KeptConnection } from './kept-connection.js';
import type { RawRequest } from './held-response.js';

/** An answer read whole, or as far as it came: its body decoded when chunked. */
export interface RawAnswer extends ResponseHead {
  body: Buffer;
}

export interface BodyWriterExchange {
  /** Writes the request's body on the socket; Node writes nothing meanwhile. */
  write(socket: net.Socket): Promise<void>;
  /** Reuse this connection, and keep it for the next request when the answer allows. */
  connection?: KeptConnection | undefined;
  /** The connection's inactivity limit, in ms, once the body is written. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * How the exchange ended: an answer; or a body that could not be written, with the answer that
 * may have come before (a refusal, which then explains the broken write).
 */
export type ExchangeResult =
  { answer: RawAnswer } | { writeFailure: unknown; earlyAnswer: RawAnswer | undefined };

const ANSWER_LIMIT = 10_000_000;

/**
 * Sends a request head, lets `write` put the body on the connection, then reads the answer,
 * whose end its framing tells (Content-Length, the last chunk, or the connection's end). While
 * the body is written Node only reads, and the socket's idle timer is off: the writer keeps its
 * own. The connection is kept for the next request when the answer was read by its length or
 * chunks, is no error, and does not say `Connection: close`.
 *
 * Rejects with the abort's reason when `signal` aborts; else, when no answer came, with an
 * Error (with a `code` where there is one) saying why.
 */
export async function exchangeWithBodyWriter(
  request: RawRequest,
  exchange: BodyWriterExchange,
): Promise<ExchangeResult> {
  const { signal, timeoutMs } = exchange;
  const socket =
    exchange.connection?.take() ?? net.connect({ host: request.host, port: request.port, noDelay: true });
  const received: Buffer[] = [];
  let size = 0;
  let settle: (error: Error | undefined) => void = () => undefined;
  // Settles once the whole answer is in (its framing, or the connection's end) or it broke.
  const answered = new Promise<Error | undefined>((resolve) => (settle = resolve));
  let completeByFraming = false;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size <= ANSWER_LIMIT) received.push(chunk);
    try {
      if (complete(Buffer.concat(received))) {
        completeByFraming = true;
        settle(undefined);
      }
    } catch (error) {
      settle(error as Error);
    }
  };
  const onEnd = (): void => settle(undefined);
  const onError = (error: Error): void => settle(error);
  const onClose = (): void => settle(new Error('the connection closed'));
  const onTimeout = (): void => {
    socket.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.on('close', onClose);
  const onAbort = (): void => {
    socket.destroy(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let reusable = false;
  try {
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      socket.write(request.head, (error) => (error ? reject(error) : resolve()));
    });

    let writeFailure: unknown;
    let written = false;
    try {
      await exchange.write(socket);
      written = true;
    } catch (error) {
      writeFailure = error;
    }
    signal?.throwIfAborted();
    if (!written) return { writeFailure, earlyAnswer: answerIn(Buffer.concat(received), 'lenient') };

    socket.setTimeout(timeoutMs);
    socket.on('timeout', onTimeout);
    const broken = await answered;
    const answer = answerIn(Buffer.concat(received), 'strict');
    if (!answer) throw broken ?? new Error('the connection closed before an answer');
    reusable = completeByFraming && answer.status < 400 && !/close/i.test(answer.headers.connection ?? '');
    return { answer };
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onError);
    socket.off('close', onClose);
    socket.off('timeout', onTimeout);
    socket.setTimeout(0);
    if (reusable && exchange.connection && !socket.destroyed) exchange.connection.keep(socket);
    else socket.destroy();
  }
}

/** Whether the bytes hold a whole answer: its final head and as much body as it announced. */
function complete(bytes: Buffer): boolean {
  const head = findFinalHead(bytes);
  if (!head) return false;
  const body = bytes.subarray(head.bodyStart);
  if (isChunked(head)) return decodeChunked(body).complete;
  const length = head.headers['content-length'];
  return length !== undefined && /^\d+$/.test(length) && body.length >= Number(length);
}

/**
 * The answer in the bytes, once its head is in. `strict`: a head that is not HTTP throws (it is
 * why there is no answer); `lenient`: it is none (a broken write is the error to report).
 */
function answerIn(bytes: Buffer, mode: 'strict' | 'lenient'): RawAnswer | undefined {
  try {
    const head = findFinalHead(bytes);
    if (!head) return undefined;
    const { bodyStart, ...answer } = head;
    let body = bytes.subarray(bodyStart);
    const length = answer.headers['content-length'];
    if (isChunked(answer)) body = decodeChunked(body).data;
    else if (length !== undefined && /^\d+$/.test(length)) body = body.subarray(0, Number(length));
    return { ...answer, body };
  } catch (error) {
    if (mode === 'strict') throw error;
    return undefined;
  }
}
