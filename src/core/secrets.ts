/**
 * Secrets must never reach a log, an error or a job log. Values registered here are masked
 * wherever text leaves longshore, and URL credentials are always stripped.
 */
const registered = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  // Very short values would mask ordinary words.
  if (value && value.length >= 6) registered.add(value);
}

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]+)(?::([^/\s@]*))?@/gi;

export function redact(text: string): string {
  let out = text.replace(URL_CREDENTIALS, (_m, scheme: string, user: string, password?: string) =>
    password === undefined ? `${scheme}${user}@` : `${scheme}${user}:**@`,
  );
  for (const secret of registered) {
    if (out.includes(secret)) out = out.split(secret).join('**');
  }
  return out;
}

/** A URL fit for logs: the password (and any registered secret) replaced by `**`. */
export function redactUrl(url: string): string {
  return redact(url);
}
