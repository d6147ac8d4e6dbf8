import { isIP } from 'node:net';

/** The names by which the monitor is reached on this machine. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Whether listening on `host` keeps the monitor to this machine. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name === '::1') return true;
  return isIP(name) === 4 && name.startsWith('127.');
}

/** `::1` → `[::1]`: a Host header's form of an IPv6 address. */
function hostForm(name: string): string {
  const lower = name.trim().toLowerCase();
  return isIP(lower) === 6 ? `[${lower}]` : lower;
}

const WITH_PORT = /^(?:\[[^\]]*\]|[^:]*):\d+$/;

/**
 * The `Host` headers the monitor answers. A page from another name that resolves to this
 * machine (DNS rebinding: `evil.example` pointed at 127.0.0.1) sends its own name, and is
 * refused before anything is read. Defaults: the loopback names and the listening address, each
 * with the port; a name given without a port also matches with none (behind a proxy on 443).
 */
export class HostAllowList {
  readonly #extra: readonly string[];
  readonly #listenHost: string;
  #allowed = new Set<string>();

  constructor(listenHost: string, extra: readonly string[] = []) {
    this.#listenHost = listenHost;
    this.#extra = extra;
  }

  /** Called once the port is known (port 0 picks one). */
  listening(port: number): void {
    const allowed = new Set<string>();
    for (const name of [...LOOPBACK_NAMES, this.#listenHost]) allowed.add(`${hostForm(name)}:${port}`);
    for (const entry of this.#extra) {
      const name = hostForm(entry);
      if (WITH_PORT.test(name)) {
        allowed.add(name);
      } else {
        allowed.add(name);
        allowed.add(`${name}:${port}`);
      }
    }
    this.#allowed = allowed;
  }

  allows(hostHeader: string | undefined): boolean {
    return hostHeader !== undefined && this.#allowed.has(hostHeader.trim().toLowerCase());
  }

  get names(): string[] {
    return [...this.#allowed];
  }
}

/**
 * Whether `origin` (an `Origin` header) is the monitor's own: the same host and port as the
 * request's (already allowed) `Host`. Either scheme: behind a TLS proxy the page is https while
 * the monitor itself speaks http; the host, which the allow-list pins, is what matters.
 */
export function isOwnOrigin(origin: string, hostHeader: string | undefined): boolean {
  if (hostHeader === undefined || origin === 'null' || !URL.canParse(origin)) return false;
  const parsed = new URL(origin);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  if (!URL.canParse(`${parsed.protocol}//${hostHeader}`)) return false;
  return parsed.host === new URL(`${parsed.protocol}//${hostHeader}`).host;
}

export function checkAllowedHostName(entry: string): boolean {
  return URL.canParse(`http://${hostForm(entry)}`) && !/[/?#@\s]/.test(entry);
}
