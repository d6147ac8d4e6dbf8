import type { ServerResponse } from 'node:http';

/** A request the monitor refuses: its status and a message for the JSON body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  send(response, status, 'application/json; charset=utf-8', body, body.length, headers);
}

export function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: Buffer | undefined,
  length: number,
  headers: Record<string, string | string[]> = {},
): void {
  response.writeHead(status, {
    'Content-Type': type,
    'Content-Length': length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    // No other site may frame the dashboard (a click on its Cancel button through a frame).
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': "frame-ancestors 'none'",
    ...headers,
  });
  response.end(body);
}

/** A 303 to `location` (after a login form, or to the login page). */
export function redirect(
  response: ServerResponse,
  location: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(303, {
    Location: location,
    'Content-Length': 0,
    'Cache-Control': 'no-store',
    ...headers,
  });
  response.end();
}
