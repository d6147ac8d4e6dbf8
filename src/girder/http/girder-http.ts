import type { Readable } from 'node:stream';
import axios, { AxiosError, type AxiosResponse } from 'axios';
import { backoffDelay, sleep } from '../../core/backoff.js';
import { redact } from '../../core/secrets.js';
import { GirderHttpError } from '../errors.js';
import { answerError, dropEmpty, jsonOrText, noAnswerError } from './girder-answer.js';
import { sendForSocket } from './socket-body.js';
import { sendWithBodyWriter, type SocketBodyWriter } from './socket-request.js';
import { createTransport, type Transport } from './transport.js';

/**
 * The one module that speaks HTTP to Girder (through axios). Everything above it deals in
 * requests described as data and in `GirderHttpError`s.
 */

export type QueryValue = string | number | boolean | undefined | null;
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a caller says about a request, beyond its method and URL. */
export interface GirderRequestOptions {
  query?: Record<string, QueryValue> | undefined;
  /** A form-encoded body (Girder reads form fields as parameters, as the job updates send them). */
  form?: Record<string, QueryValue> | undefined;
  /** A raw body; a stream is sent once (never retried). */
  body?: Buffer | Readable | undefined;
  /** A raw body written on the connection by someone else (sendfile); sent once, plain HTTP only. */
  bodyWriter?: SocketBodyWriter | undefined;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  /**
   * 'stream' returns the body as a Readable (downloads); 'socket' (GET on plain HTTP only) leaves
   * it on its connection for another reader, as a SocketBody, or null when it cannot.
   */
  responseType?: 'json' | 'stream' | 'socket';
  /** What longshore is doing, named in errors ("download file 5f..."). */
  action?: string | undefined;
}

export interface GirderRequest extends GirderRequestOptions {
  method: HttpMethod;
  /** Absolute URL. */
  url: string;
  /** How the request is named in errors: the path under the API root. */
  path: string;
}

export interface HttpPolicy {
  /** Socket inactivity limit, in ms. */
  timeoutMs: number;
  /** Retries after a connection error or a 5xx (not counting the first attempt). */
  retries: number;
  retryDelayMs: number;
  /** The agents (CAs, proxies) requests leave by; default: the system's CAs, no proxy. */
  transport?: Transport | undefined;
}

export interface GirderResponse<T> {
  status: number;
  data: T;
  headers: Record<string, string | undefined>;
}

const directTransport = createTransport();

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ERR_BAD_RESPONSE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Sends one request, retrying connection errors and 5xx answers with backoff when it can. */
export async function girderRequest<T>(
  request: GirderRequest,
  policy: HttpPolicy,
): Promise<GirderResponse<T>> {
  const replayable =
    !request.bodyWriter && !(request.body && typeof (request.body as Readable).pipe === 'function');
  const attempts = replayable ? policy.retries + 1 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      if (request.bodyWriter) {
        return (await sendWithBodyWriter(request, policy, request.bodyWriter)) as GirderResponse<T>;
      }
      if (request.responseType === 'socket') {
        return (await sendForSocket(request, policy)) as GirderResponse<T>;
      }
      return await sendOnce<T>(request, policy);
    } catch (error) {
      const last = attempt >= attempts || request.signal?.aborted;
      if (last || !(error instanceof GirderHttpError) || !isRetryable(error)) throw error;
      await sleep(backoffDelay(attempt, { initialMs: policy.retryDelayMs, maxMs: 10_000 }), request.signal);
      request.signal?.throwIfAborted();
    }
  }
}

export function isRetryable(error: GirderHttpError): boolean {
  if (error.status === null) {
    const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
    return code === undefined || RETRYABLE_CODES.has(code);
  }
  return error.status >= 500;
}

async function sendOnce<T>(request: GirderRequest, policy: HttpPolicy): Promise<GirderResponse<T>> {
  const headers: Record<string, string> = { ...request.headers };
  let data: unknown = request.body;
  if (request.form) {
    data = encodeForm(request.form);
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  let response: AxiosResponse;
  const agent = (policy.transport ?? directTransport).agentFor(new URL(request.url));
  try {
    response = await axios.request({
      method: request.method,
      url: request.url,
      params: request.query ? dropEmpty(request.query) : undefined,
      data,
      headers,
      timeout: policy.timeoutMs,
      signal: request.signal,
      responseType: request.responseType === 'stream' ? 'stream' : 'json',
      validateStatus: () => true,
      maxRedirects: 0,
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      decompress: request.responseType !== 'stream',
      // The transport chose the agent, proxy included: axios's own proxy handling cannot tunnel https.
      proxy: false,
      httpAgent: agent,
      httpsAgent: agent,
      // The raw body: Girder answers JSON, and a stream must stay a stream.
      transitional: { forcedJSONParsing: true, silentJSONParsing: true, clarifyTimeoutError: true },
    });
  } catch (error) {
    if (request.signal?.aborted) throw request.signal.reason ?? error;
    throw noAnswerError(request, stripAxios(error));
  }
  if (response.status >= 400) {
    const body: unknown =
      request.responseType === 'stream' ? await readJson(response.data as Readable) : response.data;
    throw answerError(request, response.status, body);
  }
  return {
    status: response.status,
    data: response.data as T,
    headers: response.headers as Record<string, string | undefined>,
  };
}

function encodeForm(form: Record<string, QueryValue>): string {
  return new URLSearchParams(
    Object.entries(dropEmpty(form)).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
}

async function readJson(stream: Readable): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1_000_000) break;
    chunks.push(chunk);
  }
  stream.destroy();
  return jsonOrText(Buffer.concat(chunks).toString('utf8'));
}

/**
 * axios errors carry the whole request config (headers with the token among them): keep only
 * the system error underneath.
 */
function stripAxios(error: unknown): Error {
  if (error instanceof AxiosError) {
    const plain = new Error(redact(error.message)) as NodeJS.ErrnoException;
    if (error.code) plain.code = error.code;
    const cause: NodeJS.ErrnoException | undefined = error.cause;
    const inner = cause?.code;
    if (inner) plain.code = inner;
    return plain;
  }
  return error instanceof Error ? error : new Error(String(error));
}
