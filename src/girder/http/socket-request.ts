import { LongshoreError } from '../../core/errors.js';
import { exchangeWithBodyWriter, type BodyWriterExchange } from '../../direct-io/body-writer-exchange.js';
import { answerError, jsonOrText, noAnswerError, requestHead } from './girder-answer.js';
import type { GirderRequest, GirderResponse, HttpPolicy } from './girder-http.js';

/**
 * A request body that something else writes on the connection (a sendfile child), so that its
 * bytes never pass through Node. `write` resolves once all `length` bytes went; it rejects with a
 * LongshoreError to report as is (the source changed), any other error meaning that the
 * connection broke (a GirderHttpError without status, which the caller may retry).
 */
export interface SocketBodyWriter extends Pick<BodyWriterExchange, 'write' | 'connection'> {
  length: number;
}

/**
 * Sends a request whose body `writer` puts on the socket (see exchangeWithBodyWriter), then
 * reads Girder's JSON answer. An early answer, such as a refusal, is kept and wins over the
 * broken write it causes.
 */
export async function sendWithBodyWriter(
  request: GirderRequest,
  policy: HttpPolicy,
  writer: SocketBodyWriter,
): Promise<GirderResponse<unknown>> {
  const raw = requestHead(request, [`Content-Length: ${writer.length}`]);
  let result;
  try {
    result = await exchangeWithBodyWriter(raw, {
      write: writer.write,
      connection: writer.connection,
      timeoutMs: policy.timeoutMs,
      signal: request.signal,
    });
  } catch (error) {
    if (request.signal?.aborted) throw error;
    throw noAnswerError(request, error);
  }
  if ('writeFailure' in result) {
    const early = result.earlyAnswer;
    if (early && early.status >= 400) {
      throw answerError(request, early.status, jsonOrText(early.body.toString('utf8')));
    }
    if (result.writeFailure instanceof LongshoreError) throw result.writeFailure;
    throw noAnswerError(request, result.writeFailure);
  }
  const { status, headers, body } = result.answer;
  const data = jsonOrText(body.toString('utf8'));
  if (status >= 400) throw answerError(request, status, data);
  return { status, headers, data };
}
