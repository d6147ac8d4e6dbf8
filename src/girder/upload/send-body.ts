import type { Readable } from 'node:stream';
import { backoffDelay, sleep } from '../../core/backoff.js';
import { messageOf } from '../../core/errors.js';
import { GirderHttpError } from '../errors.js';
import type { GirderClient } from '../girder-client.js';
import { GirderUploadError } from './upload-error.js';
import { isRetryable, type HttpMethod, type QueryValue } from '../http/girder-http.js';

export interface BodyRequest {
  query: Record<string, QueryValue>;
  body: Readable;
  /** Sent as Content-Length: Girder reads exactly this many bytes (a chunked body has none). */
  length: number;
  signal?: AbortSignal | undefined;
  action: string;
}

/**
 * One request with a streamed raw body. The body is destroyed whatever happens, so a request
 * that failed before reading it leaves no open file behind. Never retried here: a stream is
 * read once (see `withRetries`).
 */
export async function sendBody<T>(
  client: GirderClient,
  method: HttpMethod,
  path: string,
  request: BodyRequest,
): Promise<T> {
  // A body that fails on our side (a file that changed or cannot be read) is the error to report,
  // not the broken request it causes, which would look like Girder's fault and be retried.
  let bodyError: unknown;
  request.body.once('error', (error) => {
    bodyError = error;
  });
  try {
    const response = await client.request<T>(method, path, {
      query: request.query,
      body: request.body,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(request.length) },
      signal: request.signal,
      action: request.action,
    });
    return response.data;
  } catch (error) {
    if (bodyError === undefined) throw error;
    throw bodyError instanceof GirderUploadError
      ? bodyError
      : new GirderUploadError(`Could not ${request.action}: reading failed: ${messageOf(bodyError)}`, {
          cause: bodyError,
        });
  } finally {
    request.body.destroy();
  }
}

/**
 * Runs `attempt` again after what the client itself retries (no answer, or a 5xx), with the
 * client's count and backoff: for requests whose body the client cannot replay but the caller
 * can (it reopens the file in each attempt). `beforeRetry` runs before each new attempt.
 */
export async function withRetries<T>(
  client: GirderClient,
  signal: AbortSignal | undefined,
  attempt: () => Promise<T>,
  beforeRetry?: (error: GirderHttpError) => Promise<void>,
): Promise<T> {
  for (let failures = 1; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof GirderHttpError) || !isRetryable(error)) throw error;
      if (failures > client.policy.retries || signal?.aborted) throw error;
      await sleep(backoffDelay(failures, { initialMs: client.policy.retryDelayMs, maxMs: 10_000 }), signal);
      signal?.throwIfAborted();
      await beforeRetry?.(error);
    }
  }
}
