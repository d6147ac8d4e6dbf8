/**
 * Where a message may make the worker send data. A URL is allowed when it falls under an allowed
 * prefix as a browser would parse both: same scheme, host and port, no credentials of its own
 * (`http://girder/api/v1@evil/` is a request to evil), and a path at or below the prefix's once
 * `..` and `%2e%2e` segments are resolved.
 */
export function urlAllowed(url: string, prefixes: readonly string[]): boolean {
  let candidate: URL;
  try {
    candidate = new URL(url);
  } catch {
    return false;
  }
  if (candidate.username !== '' || candidate.password !== '') return false;
  return prefixes.some((prefix) => underPrefix(candidate, prefix));
}

function underPrefix(candidate: URL, prefixText: string): boolean {
  let prefix: URL;
  try {
    prefix = new URL(prefixText);
  } catch {
    return false;
  }
  if (candidate.protocol !== prefix.protocol || candidate.host !== prefix.host) return false;
  // `/api/v1` and `/api/v1/` are one prefix: girder_client's urlBase ends with a slash, headers often do not.
  const stem = prefix.pathname.replace(/\/+$/, '');
  return candidate.pathname === stem || candidate.pathname.startsWith(`${stem}/`);
}

/** The URL as it may be shown: without credentials, query or fragment (they may carry a token). */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
