// An in-process HTTP server that answers Girder's REST contract (Girder 3 with the jobs and
// girder_worker plugins) for tests: start, route, record, fail on request, close.
import { readFile } from 'node:fs/promises';
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentUser, requireAdmin, requireToken, requireUser } from './auth.js';
import { drainRequestBody, readRequestBody } from './body.js';
import { RequestContext, type ServerState } from './context.js';
import { RestError, errorAnswer, noMatchingRoute } from './errors.js';
import { Faults, faultBody } from './faults.js';
import { FileStorage } from './file-storage.js';
import { fileRoutes } from './files-routes.js';
import { folderRoutes } from './folders-routes.js';
import { toGirderJson } from './girder-json.js';
import { newObjectId } from './ids.js';
import { itemRoutes } from './items-routes.js';
import { artifactRoute, jobRoutes } from './jobs-routes.js';
import { JsonReply, Router, StreamReply } from './router.js';
import { Seeder } from './seeder.js';
import { type CollectionName, type Doc, Store } from './store.js';
import { systemRoutes } from './system-routes.js';
import { uploadRoutes } from './upload-routes.js';

export type { Doc } from './store.js';
export type { FaultMatch } from './faults.js';

export interface GirderTestServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Serve POST job/:id/artifact (Girder's unmerged 2018 branch). Default false: stock Girder's answer. */
  artifactRoute?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Without /api/v1 and without the query, e.g. '/file/<id>/download'. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Bytes of request body read so far (final once the request has ended). */
  bodySize: number;
  /** The response status; 0 until the response starts. */
  status: number;
  /** Arrival time, ms since the epoch. */
  at: number;
}

export type JobInfoSpec = {
  method: 'PUT';
  url: string;
  reference: string;
  headers: { 'Girder-Token': string };
  logPrint: true;
};

export interface GirderTestServer {
  /** e.g. 'http://127.0.0.1:PORT/api/v1' (no trailing slash). */
  readonly apiUrl: string;
  /** Idempotent; closes open connections and deletes the file store. */
  close(): Promise<void>;

  createUser(login: string, opts?: { admin?: boolean }): { user: Doc; token: string };
  createToken(userId: string | undefined, opts?: { scope?: string[]; days?: number }): string;
  createApiKey(userId: string, opts?: { active?: boolean; scope?: string[]; tokenDuration?: number }): string;
  createCollection(name: string, opts?: { public?: boolean; ownerId?: string }): Doc;
  createFolder(
    parentId: string,
    name: string,
    opts?: {
      parentType?: 'folder' | 'collection' | 'user';
      public?: boolean;
      /** The owner (ADMIN access) by token; or ownerId. Default: the parent user, or the parent folder's creator. */
      ownerToken?: string;
      ownerId?: string;
      description?: string;
    },
  ): Doc;
  createItem(folderId: string, name: string): Doc;
  createFile(
    itemId: string,
    name: string,
    content: Buffer | { size: number; seed?: number | string },
    opts?: { mimeType?: string },
  ): Doc;
  createJob(fields?: {
    title?: string;
    type?: string;
    handler?: string;
    status?: number;
    userId?: string;
    public?: boolean;
    otherFields?: Record<string, unknown>;
  }): { job: Doc; jobToken: string; jobInfoSpec: JobInfoSpec };

  getDoc(collection: CollectionName, id: string): Doc | undefined;
  listFiles(itemId: string): Doc[];
  /** Files attached to a job by POST job/:id/artifact. */
  listArtifacts(jobId: string): Doc[];
  fileContents(fileId: string): Promise<Buffer>;
  filePath(fileId: string): string;
  readonly requests: RecordedRequest[];
  clearRequests(): void;
  jobStatusHistory(jobId: string): number[];

  onJobCancel?: (job: Doc) => void | Promise<void>;

  readonly faults: Pick<Faults, 'dropDownload' | 'failNext' | 'delay' | 'reset'>;
}

export async function startGirderTestServer(
  options: GirderTestServerOptions = {},
): Promise<GirderTestServer> {
  const server = new GirderTestServerImpl(options);
  await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return server;
}

const API_PREFIX = '/api/v1';
const FORM_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** CherryPy's page for a path it cannot dispatch (an unknown resource, or outside /api/v1). */
function notFoundPage(path: string): string {
  const escaped = path
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&#39;');
  return `<!DOCTYPE html>\n<html>\n<head><title>404 Not Found</title></head>\n<body>\n<h2>404 Not Found</h2>\n<p>The path '${escaped}' was not found.</p>\n</body>\n</html>\n`;
}

/** What the state's getters read: set after listening (apiUrl) or by the test (onJobCancel). */
interface Live {
  apiUrl: string;
  onJobCancel: ((job: Doc) => void | Promise<void>) | undefined;
}

function newState(options: GirderTestServerOptions, faults: Faults, live: Live): ServerState {
  return {
    store: new Store(),
    storage: new FileStorage(),
    faults,
    assetstoreId: newObjectId(),
    artifactRoute: options.artifactRoute ?? false,
    serverStartDate: new Date(),
    statusHistory: new Map(),
    get apiUrl() {
      return live.apiUrl;
    },
    get onJobCancel() {
      return live.onJobCancel;
    },
  };
}

class GirderTestServerImpl extends Seeder implements GirderTestServer {
  readonly requests: RecordedRequest[] = [];
  readonly faults: Faults;
  readonly #live: Live;
  readonly #router = new Router();
  readonly #http: Server;
  #closing: Promise<void> | undefined;

  constructor(options: GirderTestServerOptions) {
    const faults = new Faults();
    const live: Live = { apiUrl: '', onJobCancel: undefined };
    super(newState(options, faults, live));
    this.faults = faults;
    this.#live = live;
    this.#router.add(
      ...systemRoutes,
      ...fileRoutes,
      ...uploadRoutes,
      ...itemRoutes,
      ...folderRoutes,
      ...jobRoutes,
    );
    if (this.state.artifactRoute) this.#router.add(artifactRoute);
    this.#http = createServer((req, res) => void this.#handle(req, res));
  }

  get onJobCancel(): ((job: Doc) => void | Promise<void>) | undefined {
    return this.#live.onJobCancel;
  }

  set onJobCancel(hook: ((job: Doc) => void | Promise<void>) | undefined) {
    this.#live.onJobCancel = hook;
  }

  get apiUrl(): string {
    return this.#live.apiUrl;
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    const address = this.#http.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#live.apiUrl = `http://${shownHost}:${address.port}${API_PREFIX}`;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
      this.#http.closeAllConnections();
      await closed;
      await this.state.storage.destroy();
    })();
    return this.#closing;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  getDoc(collection: CollectionName, id: string): Doc | undefined {
    const doc = this.state.store.get(collection, id.toLowerCase());
    return doc ? (structuredClone(doc) as Doc) : undefined;
  }

  listFiles(itemId: string): Doc[] {
    return this.state.store.find('file', (f) => f.itemId === itemId).map((f) => structuredClone(f) as Doc);
  }

  listArtifacts(jobId: string): Doc[] {
    return this.state.store
      .find('file', (f) => f.attachedToType === 'job' && f.attachedToId === jobId)
      .map((f) => structuredClone(f) as Doc);
  }

  fileContents(fileId: string): Promise<Buffer> {
    return readFile(this.filePath(fileId));
  }

  filePath(fileId: string): string {
    return this.state.storage.filePath(fileId);
  }

  jobStatusHistory(jobId: string): number[] {
    return [...(this.state.statusHistory.get(jobId) ?? [])] as number[];
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://girder.invalid');
    const inApi = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
    const path = inApi ? url.pathname.slice(API_PREFIX.length) || '/' : url.pathname;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      query,
      headers: { ...req.headers },
      bodySize: 0,
      status: 0,
      at: Date.now(),
    };
    this.requests.push(record);

    const segments = path
      .split('/')
      .slice(1)
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      });
    if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const params = new Map<string, string>();
    const ctx = new RequestContext(this.state, req, res, method, segments, params);
    const settle = () => {
      record.status = res.headersSent ? res.statusCode : record.status;
      record.bodySize = ctx.bodyBytes;
    };
    res.on('finish', settle);
    res.on('close', settle);
    req.on('end', settle);

    try {
      if (!inApi) {
        this.#send(ctx, 404, notFoundPage(url.pathname), 'text/html;charset=utf-8');
        return;
      }
      const addParam = (name: string, value: string) => {
        if (params.has(name))
          throw new RestError(`Parameter "${name}" must not be specified multiple times.`);
        params.set(name, value);
      };
      for (const [k, v] of url.searchParams) addParam(k, v);
      const contentType = (ctx.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      if (FORM_METHODS.has(method) && contentType === 'application/x-www-form-urlencoded') {
        for (const [k, v] of new URLSearchParams((await readRequestBody(ctx)).toString('utf8')))
          addParam(k, v);
      }

      const match = this.#router.match(method, segments);
      const delay = this.faults.takeDelay(record.method, path);
      if (delay !== undefined) await sleep(delay);
      const failure = this.faults.takeFailure(record.method, path);
      if (failure !== undefined) {
        this.#send(ctx, failure, toGirderJson(faultBody(failure)), 'application/json');
        return;
      }
      if (match.kind === 'noResource') {
        this.#send(ctx, 404, notFoundPage(url.pathname), 'text/html;charset=utf-8');
        return;
      }
      if (match.kind === 'noRoute') throw noMatchingRoute(method, segments);

      const { access } = match.route;
      ctx.requiredScopes = access.scope;
      if (access.kind === 'user') requireUser(ctx);
      else if (access.kind === 'admin') requireAdmin(ctx);
      else if (access.kind === 'token') requireToken(ctx, access.required ? access.scope : undefined);

      const result = await match.route.handler(ctx, match.args);
      if (result instanceof StreamReply) await result.send();
      else if (result instanceof JsonReply) this.#sendJson(ctx, 200, result.value, result.headers);
      else this.#sendJson(ctx, 200, result);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
      } else {
        // Like _handleAccessException, which asks getCurrentUser() (with the route's scopes) afresh.
        const answer = errorAnswer(err, currentUser(ctx) !== null, ctx.requestUid);
        if (answer.status === 500) console.error('girder test server: unexpected error', err);
        this.#sendJson(ctx, answer.status, answer.body);
      }
    } finally {
      drainRequestBody(ctx);
    }
  }

  #sendJson(
    ctx: RequestContext,
    status: number,
    value: unknown,
    headers: Readonly<Record<string, string>> = {},
  ) {
    for (const [k, v] of Object.entries(headers)) ctx.res.setHeader(k, v);
    this.#send(ctx, status, toGirderJson(value), 'application/json');
  }

  #send(ctx: RequestContext, status: number, body: string, contentType: string): void {
    const { res } = ctx;
    const bytes = Buffer.from(body, 'utf8');
    res.statusCode = status;
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', String(bytes.length));
    res.setHeader('Girder-Request-Uid', ctx.requestUid);
    res.end(bytes);
  }
}
