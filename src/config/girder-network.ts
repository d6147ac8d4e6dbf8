import { isIP } from 'node:net';

/**
 * How requests to Girder and to the object stores it redirects to leave this host: through the
 * proxy that `HTTPS_PROXY` / `HTTP_PROXY` name (lower-case names win, as curl and Python's requests
 * read them), except for the hosts of `NO_PROXY`.
 */
export interface ProxySettings {
  httpProxy?: string | undefined;
  httpsProxy?: string | undefined;
  /** Host names (a leading dot or a bare domain also covers its sub-domains), IPs, or `*`. */
  noProxy: string[];
}

export function proxySettingsFromEnv(env: NodeJS.ProcessEnv): ProxySettings {
  const pick = (name: string): string | undefined => {
    const value = env[name.toLowerCase()] ?? env[name];
    return value?.trim() ? value.trim() : undefined;
  };
  return {
    httpProxy: pick('HTTP_PROXY'),
    httpsProxy: pick('HTTPS_PROXY'),
    noProxy: (pick('NO_PROXY') ?? '')
      .split(/[\s,]+/)
      .map((entry) => entry.trim().toLowerCase())
      .filter(Boolean),
  };
}

/** The proxy a request to `url` goes through, or undefined to connect directly. */
export function proxyFor(url: URL, settings: ProxySettings): string | undefined {
  const proxy = url.protocol === 'https:' ? settings.httpsProxy : settings.httpProxy;
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const entry of settings.noProxy) {
    if (entry === '*') return undefined;
    const [name, entryPort] = splitPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (isIP(host) || isIP(name)) {
      if (host === name) return undefined;
      continue;
    }
    const domain = name.replace(/^\*?\./, '');
    if (host === domain || host.endsWith(`.${domain}`)) return undefined;
  }
  return proxy;
}

function splitPort(entry: string): [string, string | undefined] {
  const bracketed = /^\[(.*)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return [bracketed[1] ?? '', bracketed[2]];
  const match = /^([^:]+):(\d+)$/.exec(entry);
  return match ? [match[1] ?? '', match[2]] : [entry, undefined];
}
