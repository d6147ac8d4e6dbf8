import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { messageOf } from '../../core/errors.js';
import { registerSecret } from '../../core/secrets.js';
import { proxyFor, type ProxySettings } from '../../config/girder-network.js';
import { GirderConfigError } from '../errors.js';

/**
 * How requests leave this host: which agent carries a URL (keep-alive, the trusted CAs, the proxy
 * that applies to it). One per client configuration; requests to the same place share connections.
 */
export interface Transport {
  agentFor(url: URL): http.Agent;
  /** Whether requests to `url` go through a proxy (raw-socket paths cannot). */
  proxied(url: URL): boolean;
  /**
   * A PEM file of the CAs this transport trusts, for a child (curl) to trust the same; undefined
   * when only the system's are trusted (curl's default too).
   */
  caFile(): string | undefined;
}

export interface TransportOptions {
  /** PEM text or a PEM file's path, trusted besides the system's CAs and NODE_EXTRA_CA_CERTS'. */
  ca?: string | undefined;
  /** NODE_EXTRA_CA_CERTS, which Node only adds to its defaults: an explicit CA list must add it too. */
  extraCaFile?: string | undefined;
  proxy?: ProxySettings | undefined;
}

// Keep-alive: a task makes many small requests (pages, chunks, job updates) to one server.
const sharedHttp = new http.Agent({ keepAlive: true });
const sharedHttps = new https.Agent({ keepAlive: true });

const made = new Map<string, Transport>();

/** The transport for these options: one per distinct CA and proxies, so clients share connections. */
export function createTransport(options: TransportOptions = {}): Transport {
  const key = JSON.stringify([options.ca, options.extraCaFile, options.proxy]);
  let transport = made.get(key);
  if (!transport) {
    transport = newTransport(options);
    made.set(key, transport);
  }
  return transport;
}

function newTransport(options: TransportOptions): Transport {
  const ca = options.ca ? trustedCertificates(options.ca, options.extraCaFile) : undefined;
  const httpsAgent = ca ? new https.Agent({ keepAlive: true, ca }) : sharedHttps;
  const proxy = options.proxy;
  for (const url of [proxy?.httpProxy, proxy?.httpsProxy]) if (url) registerSecret(passwordOf(url));
  const viaProxy = new Map<string, http.Agent>();
  let caFile: string | undefined;
  const proxyOf = (url: URL): string | undefined => (proxy ? proxyFor(url, proxy) : undefined);
  return {
    proxied: (url) => proxyOf(url) !== undefined,
    caFile() {
      if (!ca) return undefined;
      caFile ??= writeBundle(ca);
      return caFile;
    },
    agentFor(url) {
      const through = proxyOf(url);
      const secure = url.protocol === 'https:';
      if (!through) return secure ? httpsAgent : sharedHttp;
      const key = `${url.protocol}${through}`;
      let agent = viaProxy.get(key);
      if (!agent) {
        // CONNECT for https (the proxy sees only the host), absolute-form requests for http.
        agent = secure
          ? new TunnelAgent(through, { keepAlive: true }, ca)
          : new HttpProxyAgent(through, { keepAlive: true });
        viaProxy.set(key, agent);
      }
      return agent;
    },
  };
}

/** A CONNECT tunnel whose TLS to the server trusts the site's CAs (the library's options reach only the proxy). */
class TunnelAgent extends HttpsProxyAgent<string> {
  readonly #ca: string[] | undefined;

  constructor(
    proxy: string,
    options: ConstructorParameters<typeof HttpsProxyAgent>[1],
    ca: string[] | undefined,
  ) {
    super(proxy, options);
    this.#ca = ca;
  }

  override connect(...[request, options]: Parameters<HttpsProxyAgent<string>['connect']>) {
    return super.connect(request, this.#ca ? ({ ...options, ca: this.#ca } as typeof options) : options);
  }
}

function trustedCertificates(ca: string, extraCaFile: string | undefined): string[] {
  const own = ca.includes('-----BEGIN') ? ca : readPem(ca, 'girder.ca');
  const extra = extraCaFile ? [readPem(extraCaFile, 'NODE_EXTRA_CA_CERTS')] : [];
  return [...tls.rootCertificates, ...extra, own];
}

/** The certificates in a file named by their digest (public, so readable; written once, atomically). */
function writeBundle(certificates: string[]): string {
  const text = `${certificates.join('\n')}\n`;
  const file = join(
    tmpdir(),
    `longshore-ca-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.pem`,
  );
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, text, { mode: 0o644 });
    renameSync(partial, file);
  }
  return file;
}

function readPem(path: string, setting: string): string {
  try {
    const text = readFileSync(path, 'utf8');
    if (!text.includes('-----BEGIN')) throw new Error('no PEM certificate in it');
    return text;
  } catch (error) {
    throw new GirderConfigError(`${setting} ${path} cannot be read as PEM: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

function passwordOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.password ? decodeURIComponent(parsed.password) : undefined;
  } catch {
    return undefined;
  }
}
