import net from 'node:net';
import { LongshoreError } from '../../core/errors.js';
import { GirderHttpError } from '../errors.js';
import { answerError, jsonOrText, noAnswerError, parseHead, requestHead } from './girder-answer.js';
import type { GirderRequest, GirderResponse, HttpPolicy } from './girder-http.js';

/**
 * A connection kept from one request to the next (the chunks of one upload): a fresh connection
 * per 64 MiB chunk starts each time with a small TCP window, which cost about a tenth of the
 * throughput. The owner closes it when done.
 */
export class KeptConnection {
  #socket: net.Socket | undefined;

  /** The kept socket, if it is still open; it is the caller's until given back. */
  take(): net.Socket | undefined {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.off('error', ignore);
    if (socket && !socket.destroyed && socket.readable && socket.writable) return socket;
    socket?.destroy();
    return undefined;
  }

  keep(socket: net.Socket): void {
    this.#socket?.destroy();
    // Idle, it may still be reset by the server: that must not go unheard.
    socket.on('error', ignore);
    this.#socket = socket;
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }
}

function ignore(): void {}

/**
 * A request body that something else writes on the connection (a sendfile child), so that its
 * bytes never pass through Node. `write` resolves once all `length` bytes went; it rejects with a
 * LongshoreError to report as is (the source changed), any other error meaning that the
 * connection broke (a GirderHttpError without status, which the caller may retry).
 */
export interface SocketBodyWriter {
  length: number;
  write(socket: net.Socket): Promise<void>;
  /** Reuse this connection, and keep it for the next request when the answer allows. */
  connection?: KeptConnection | undefined;
}

const ANSWER_LIMIT = 10_000_000;

/**
 * Sends a request whose body `writer` puts on the socket, then reads Girder's JSON answer, whose
 * end its Content-Length (or the connection's end) tells. While the writer writes, Node only
 * reads (an early answer, such as a refusal, is kept and wins over the broken write it causes),
 * and the socket's idle timer is off: the writer keeps its own.
 */
export async function sendWithBodyWriter(
  request: GirderRequest,
  policy: HttpPolicy,
  writer: SocketBodyWriter,
): Promise<GirderResponse<unknown>> {
  const { head, host, port } = requestHead(request, [`Content-Length: ${writer.length}`]);

  const noAnswer = (cause: unknown): GirderHttpError => noAnswerError(request, cause);

  const socket = writer.connection?.take() ?? net.connect({ host, port, noDelay: true });
  const received: Buffer[] = [];
  let size = 0;
  let settle: (error: Error | undefined) => void = () => undefined;
  // Settles once the whole answer is in (its length, or the connection's end) or it broke.
  const answered = new Promise<Error | undefined>((resolve) => (settle = resolve));
  let completeByLength = false;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size <= ANSWER_LIMIT) received.push(chunk);
    if (complete(Buffer.concat(received))) {
      completeByLength = true;
      settle(undefined);
    }
  };
  const onEnd = (): void => settle(undefined);
  const onError = (error: Error): void => settle(error);
  const onClose = (): void => settle(new Error('the connection closed'));
  const onTimeout = (): void => {
    socket.destroy(
      Object.assign(new Error(`no answer within ${policy.timeoutMs} ms`), { code: 'ETIMEDOUT' }),
    );
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.on('close', onClose);
  const onAbort = (): void => {
    socket.destroy(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }));
  };
  request.signal?.addEventListener('abort', onAbort, { once: true });
  let reusable = false;
  try {
    request.signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      socket.write(head, (error) => (error ? reject(error) : resolve()));
    }).catch((error: unknown) => {
      throw noAnswer(error);
    });

    let writeFailure: unknown;
    try {
      await writer.write(socket);
    } catch (error) {
      writeFailure = error;
    }
    request.signal?.throwIfAborted();
    if (writeFailure !== undefined) {
      const answer = received.length > 0 ? tryParse(Buffer.concat(received)) : undefined;
      if (answer && answer.status >= 400) throw answerError(request, answer.status, jsonOrText(answer.text));
      if (writeFailure instanceof LongshoreError) throw writeFailure;
      throw noAnswer(writeFailure);
    }

    socket.setTimeout(policy.timeoutMs);
    socket.on('timeout', onTimeout);
    const broken = await answered;
    const answer = tryParse(Buffer.concat(received));
    if (!answer) throw noAnswer(broken ?? new Error('the connection closed before an answer'));
    if (answer.status >= 400) throw answerError(request, answer.status, jsonOrText(answer.text));
    reusable = completeByLength && !/close/i.test(answer.headers.connection ?? '');
    return { status: answer.status, headers: answer.headers, data: jsonOrText(answer.text) };
  } catch (error) {
    if (request.signal?.aborted) throw request.signal.reason ?? error;
    throw error;
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onError);
    socket.off('close', onClose);
    socket.off('timeout', onTimeout);
    socket.setTimeout(0);
    if (reusable && writer.connection && !socket.destroyed) writer.connection.keep(socket);
    else socket.destroy();
  }
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** Whether the bytes hold a whole answer: its head and as much body as it announced. */
function complete(bytes: Buffer): boolean {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = bytes.subarray(0, end).toString('latin1');
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return bytes.length - end - 4 >= Number(length[1]);
  return (
    /\r\ntransfer-encoding:[^\r]*chunked/i.test(head) && bytes.subarray(-5).toString('latin1') === '0\r\n\r\n'
  );
}

/** The answer so far, when its head is complete. */
function tryParse(bytes: Buffer): Answer | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  try {
    const { status, headers } = parseHead(bytes.subarray(0, end).toString('latin1'));
    const body = bytes.subarray(end + 4);
    const chunked = /chunked/i.test(headers['transfer-encoding'] ?? '');
    return { status, headers, text: (chunked ? unchunk(body) : body).toString('utf8') };
  } catch {
    return undefined;
  }
}

/** A chunked body's bytes (RFC 9112 section 7.1), as far as they go. */
function unchunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size <= 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
