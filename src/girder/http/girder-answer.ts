import { redact } from '../../core/secrets.js';
import { GirderHttpError } from '../errors.js';
import type { GirderRequest, QueryValue } from './girder-http.js';

/** Query and form values without the unset ones. */
export function dropEmpty(values: Record<string, QueryValue>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(values))
    if (value !== undefined && value !== null) out[key] = value;
  return out;
}

/** Girder's `message` and `field` from an error body, masked; plain text when it is not JSON. */
export function girderErrorBody(body: unknown): { message?: string; field?: string } {
  if (body && typeof body === 'object') {
    const { message, field } = body as { message?: unknown; field?: unknown };
    return {
      ...(typeof message === 'string' ? { message: redact(message) } : {}),
      ...(typeof field === 'string' ? { field } : {}),
    };
  }
  if (typeof body === 'string' && body.trim()) {
    // An object store's XML error: its code and message only (S3 echoes signatures in the rest).
    const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
    if (code) {
      const message = /<Message>([^<]{1,300})<\/Message>/.exec(body)?.[1];
      return { message: redact(message ? `${code}: ${message}` : code) };
    }
    return { message: redact(body.trim().slice(0, 500)) };
  }
  return {};
}

/**
 * An HTTP/1.1 request head for a raw request on a socket of our own: the request line with its
 * query, Host, the request's headers (a Content-Length among them is replaced by `extra`'s), then
 * `extra`; and where to connect.
 */
export function requestHead(
  request: GirderRequest,
  extra: readonly string[],
): { head: string; host: string; port: number } {
  const url = new URL(request.url);
  for (const [key, value] of Object.entries(dropEmpty(request.query ?? {})))
    url.searchParams.set(key, String(value));
  const lines = [`${request.method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (name.toLowerCase() !== 'content-length') lines.push(`${name}: ${value}`);
  }
  lines.push(...extra);
  if (lines.some((line) => /[\r\n]/.test(line))) throw new TypeError('A header holds a line break');
  return {
    head: `${lines.join('\r\n')}\r\n\r\n`,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || 80),
  };
}

/** Girder's JSON, or the text itself when it is not JSON. */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

type Described = Pick<GirderRequest, 'method' | 'path' | 'action'>;

/** The error for an answer with an error status, in Girder's own words (`body`: JSON or text). */
export function answerError(request: Described, status: number, body: unknown): GirderHttpError {
  const { message, field } = girderErrorBody(body);
  return new GirderHttpError({
    method: request.method,
    path: request.path,
    status,
    girderMessage: message,
    field,
    action: request.action,
  });
}

/** The error for a request that got no answer (refused, reset, timed out). */
export function noAnswerError(request: Described, cause: unknown): GirderHttpError {
  return new GirderHttpError(
    { method: request.method, path: request.path, status: null, action: request.action },
    { cause: cause instanceof Error ? cause : new Error(String(cause)) },
  );
}
