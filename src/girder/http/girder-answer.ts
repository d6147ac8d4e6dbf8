import { redact } from '../../secrets.js';
import type { QueryValue } from './girder-http.js';

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
  if (typeof body === 'string' && body.trim()) return { message: redact(body.trim().slice(0, 500)) };
  return {};
}
