import { GirderTransferError } from '../errors.js';

/** The answers that send a download elsewhere (an S3 assetstore answers 303 to a signed URL). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Hops per request before it counts as a loop (Python's requests allows 30; no store needs more than two). */
export const MAX_REDIRECTS = 10;

/**
 * Where a redirect goes: its Location resolved against the URL that answered, refused (naming
 * what longshore was doing, never the URL's query, where signatures and tokens travel) unless it
 * is an http(s) URL with a host.
 */
export function redirectTarget(location: string | undefined, from: string, action: string): URL {
  const fail = (why: string): GirderTransferError => new GirderTransferError(`Could not ${action}: ${why}`);
  if (!location?.trim()) throw fail('a redirect came without a Location');
  if (/^[a-z][a-z0-9+.-]*:\/\/(?:[:/?#]|$)/i.test(location.trim()))
    throw fail('a redirect led to a URL without a host');
  let url: URL;
  try {
    url = new URL(location.trim(), from);
  } catch {
    throw fail('a redirect named a Location that is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw fail(`a redirect led to a ${url.protocol.replace(/:$/, '')}: URL, not http(s)`);
  }
  if (!url.hostname) throw fail('a redirect led to a URL without a host');
  return url;
}

/** Whether two URLs share scheme, host and port: the only place a Girder token may follow a redirect. */
export function sameOrigin(a: string | URL, b: string | URL): boolean {
  return new URL(a).origin === new URL(b).origin;
}
