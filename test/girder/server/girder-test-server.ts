// An in-process HTTP server that answers Girder's REST contract (Girder 3 with the jobs and
// girder_worker plugins) for tests: the server's lifecycle, its routes, and what a test inspects.
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServerState } from './context.js';
import { API_PREFIX, handleRequest } from './dispatch.js';
import { Faults } from './faults.js';
import { FileStorage } from './file-storage.js';
import { fileRoutes } from './files-routes.js';
import { folderRoutes } from './folders-routes.js';
import { newObjectId } from './ids.js';
import { ObjectStore } from './object-store.js';
import { itemRoutes } from './items-routes.js';
import { artifactRoute, jobRoutes } from './jobs-routes.js';
import { Router } from './router.js';
import { Seeder } from './seeder.js';
import type { GirderTestServer, GirderTestServerOptions, RecordedRequest } from './server-api.js';
import { type CollectionName, type Doc, Store } from './store.js';
import { systemRoutes } from './system-routes.js';
import { uploadRoutes } from './upload-routes.js';

export async function startGirderTestServer(
  options: GirderTestServerOptions = {},
): Promise<GirderTestServer> {
  const server = new GirderTestServerImpl(options);
  await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  if (options.objectStore) await server.startObjectStore(options.objectStore);
  return server;
}

/** What the state's getters read: set after listening (apiUrl) or by the test (onJobCancel). */
interface Live {
  apiUrl: string;
  onJobCancel: ((job: Doc) => void | Promise<void>) | undefined;
  objectStore: { store: ObjectStore; redirectStatus: number } | undefined;
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
    get objectStore() {
      return live.objectStore;
    },
  };
}

class GirderTestServerImpl extends Seeder implements GirderTestServer {
  readonly requests: RecordedRequest[] = [];
  readonly faults: Faults;
  readonly #live: Live;
  readonly #router = new Router();
  readonly #http: Server;
  readonly #tls: boolean;
  #closing: Promise<void> | undefined;

  constructor(options: GirderTestServerOptions) {
    const faults = new Faults();
    const live: Live = { apiUrl: '', onJobCancel: undefined, objectStore: undefined };
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
    const dispatch = { state: this.state, router: this.#router, faults, requests: this.requests };
    const handle = (
      req: Parameters<typeof handleRequest>[1],
      res: Parameters<typeof handleRequest>[2],
    ): void => void handleRequest(dispatch, req, res);
    this.#tls = options.tls !== undefined;
    this.#http = options.tls ? createHttpsServer(options.tls, handle) : createServer(handle);
  }

  get objectStore(): ObjectStore | undefined {
    return this.#live.objectStore?.store;
  }

  async startObjectStore(options: NonNullable<GirderTestServerOptions['objectStore']>): Promise<void> {
    const store = await ObjectStore.start(this.state.storage, options);
    this.#live.objectStore = { store, redirectStatus: options.redirectStatus ?? 303 };
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
    // The test certificate names localhost (and 127.0.0.1); https URLs use the name, as sites do.
    this.#live.apiUrl = this.#tls
      ? `https://localhost:${address.port}${API_PREFIX}`
      : `http://${shownHost}:${address.port}${API_PREFIX}`;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
      this.#http.closeAllConnections();
      await closed;
      await this.#live.objectStore?.store.close();
      await this.state.storage.destroy();
    })();
    return this.#closing;
  }

  clearRequests(): void {
    this.requests.length = 0;
    this.#live.objectStore?.store.requests.splice(0);
  }

  getDoc(collection: CollectionName, id: string): Doc | undefined {
    const doc = this.state.store.get(collection, id.toLowerCase());
    return doc ? structuredClone(doc) : undefined;
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
}
