import { registerSecret } from '../core/secrets.js';
import { parseOrThrow } from '../core/parse.js';
import { girderClientOptionsSchema, type GirderClientOptions } from '../config/girder-settings.js';
import { getGirderNetwork } from '../config/configuration.js';
import { socketBodySupported } from './http/socket-body.js';
import { createTransport, type Transport } from './http/transport.js';
import { GirderHttpError } from './errors.js';
import {
  girderRequest,
  type GirderRequest,
  type GirderRequestOptions,
  type GirderResponse,
  type HttpMethod,
  type HttpPolicy,
  type QueryValue,
} from './http/girder-http.js';

export type { GirderClientOptions } from '../config/girder-settings.js';

export type RequestOptions = GirderRequestOptions;

const DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024;
const PAGE_SIZE = 50;

/**
 * A Girder REST client: the API root, authentication (a token, or an API key exchanged for one),
 * timeouts and retries. Every request of longshore to Girder goes through one of these.
 */
export class GirderClient {
  readonly apiUrl: string;
  readonly chunkSize: number;
  readonly policy: HttpPolicy;
  readonly #apiKey: string | undefined;
  readonly #transport: Transport;
  #token: string | null;
  #tokenExchange: Promise<string> | undefined;

  constructor(options: GirderClientOptions) {
    const parsed = parseOrThrow(girderClientOptionsSchema, options, 'girder');
    this.apiUrl = parsed.apiUrl.replace(/\/+$/, '');
    this.chunkSize = parsed.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const network = getGirderNetwork();
    const proxy = parsed.proxy ?? network.proxy;
    this.#transport = createTransport({
      ca: parsed.ca ?? network.ca,
      extraCaFile: network.extraCaFile,
      proxy: proxy === false ? undefined : { noProxy: [], ...proxy },
    });
    this.policy = {
      timeoutMs: parsed.timeoutMs ?? 60_000,
      retries: parsed.retries ?? 5,
      retryDelayMs: parsed.retryDelayMs ?? 250,
      transport: this.#transport,
    };
    this.#token = parsed.token ?? null;
    this.#apiKey = parsed.apiKey;
    registerSecret(this.#token);
    registerSecret(this.#apiKey);
  }

  /**
   * Whether a body to or from `url` can be moved on a raw socket of our own (splice, sendfile):
   * plain HTTP, straight to the server (a proxy, or TLS, needs a real client in between).
   */
  rawSocketReaches(url: string): boolean {
    return socketBodySupported(url) && !this.#transport.proxied(new URL(url));
  }

  /** Whether a curl child can fetch `url` as this client would: http(s), no proxy in between. */
  curlReaches(url: string): boolean {
    return /^https?:/.test(url) && !this.#transport.proxied(new URL(url));
  }

  /** The CA file a child must trust to check certificates as this client does (see Transport). */
  caFile(): string | undefined {
    return this.#transport.caFile();
  }

  /** The URL of a path under the API root. */
  url(path: string): string {
    return `${this.apiUrl}/${path.replace(/^\/+/, '')}`;
  }

  async request<T>(
    method: HttpMethod,
    path: string,
    options: RequestOptions = {},
  ): Promise<GirderResponse<T>> {
    const token = await this.token(options.signal);
    return girderRequest<T>(
      {
        ...this.#describe(method, path, options),
        headers: { ...(token ? { 'Girder-Token': token } : {}), ...options.headers },
      },
      this.policy,
    );
  }

  async get<T>(path: string, query?: Record<string, QueryValue>, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>('GET', path, { ...options, query })).data;
  }

  async post<T>(path: string, query?: Record<string, QueryValue>, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>('POST', path, { ...options, query })).data;
  }

  async put<T>(path: string, query?: Record<string, QueryValue>, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>('PUT', path, { ...options, query })).data;
  }

  async delete<T>(
    path: string,
    query?: Record<string, QueryValue>,
    options: RequestOptions = {},
  ): Promise<T> {
    return (await this.request<T>('DELETE', path, { ...options, query })).data;
  }

  /** Every document of a paged listing (`limit` / `offset`), page after page. */
  async *pages<T>(
    path: string,
    query: Record<string, QueryValue>,
    options: RequestOptions & { pageSize?: number } = {},
  ): AsyncGenerator<T> {
    const limit = options.pageSize ?? PAGE_SIZE;
    for (let offset = 0; ; offset += limit) {
      const page = await this.get<T[]>(path, { ...query, limit, offset }, options);
      if (!Array.isArray(page)) {
        throw new GirderHttpError({
          method: 'GET',
          path,
          status: 200,
          girderMessage: 'expected a list',
          action: options.action,
        });
      }
      yield* page;
      if (page.length < limit) return;
    }
  }

  /**
   * A request to an absolute URL with the given headers only (no token of this client): Girder
   * job updates go to the URL and with the job token of a `jobInfoSpec`.
   */
  requestUrl<T>(method: HttpMethod, url: string, options: RequestOptions = {}): Promise<GirderResponse<T>> {
    const path = url.startsWith(`${this.apiUrl}/`)
      ? url.slice(this.apiUrl.length + 1)
      : url.replace(/\?.*/, '');
    return girderRequest<T>({ ...this.#describe(method, path, options), url }, this.policy);
  }

  /** The token to send: the one given, or the API key's (exchanged on first use). */
  async token(signal?: AbortSignal): Promise<string | null> {
    if (this.#token !== null || this.#apiKey === undefined) return this.#token;
    this.#tokenExchange ??= this.#exchangeApiKey(this.#apiKey, signal).finally(() => {
      this.#tokenExchange = undefined;
    });
    return this.#tokenExchange;
  }

  async #exchangeApiKey(key: string, signal: AbortSignal | undefined): Promise<string> {
    const response = await girderRequest<{ authToken?: { token?: unknown } }>(
      {
        ...this.#describe('POST', 'api_key/token', { signal, action: 'exchange the API key for a token' }),
        // In the form body, not the query string: access logs and proxies keep query strings.
        // Girder (CherryPy) reads a form-encoded body's fields as the route's parameters.
        form: { key },
      },
      this.policy,
    );
    const token = response.data?.authToken?.token;
    if (typeof token !== 'string' || token === '') {
      throw new GirderHttpError({
        method: 'POST',
        path: 'api_key/token',
        status: response.status,
        girderMessage: 'the answer holds no authToken.token',
        action: 'exchange the API key for a token',
      });
    }
    registerSecret(token);
    this.#token = token;
    return token;
  }

  #describe(method: HttpMethod, path: string, options: RequestOptions): GirderRequest {
    return {
      ...options,
      method,
      url: this.url(path),
      path: path.replace(/^\/+/, ''),
      responseType: options.responseType ?? 'json',
    };
  }
}
