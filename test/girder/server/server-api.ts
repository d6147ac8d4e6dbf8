// The public face of the Girder test server: what tests and benchmarks code against.
import type { IncomingHttpHeaders } from 'node:http';
import type { Faults } from './faults.js';
import type { ObjectStore, ObjectStoreOptions } from './object-store.js';
import type { CollectionName, Doc } from './store.js';

export interface GirderTestServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Serve POST job/:id/artifact (Girder's unmerged 2018 branch). Default false: stock Girder's answer. */
  artifactRoute?: boolean;
  /** Serve HTTPS with this certificate (apiUrl then names https://localhost). */
  tls?: { key: string; cert: string } | undefined;
  /**
   * Keep file bytes in an object store, as an S3 assetstore does: downloads answer `redirectStatus`
   * (default 303, CherryPy's HTTPRedirect) to a signed URL of the store.
   */
  objectStore?: (ObjectStoreOptions & { redirectStatus?: number }) | undefined;
}

export interface RecordedRequest {
  method: string;
  /** The request target as sent on the request line (what an access log keeps), query included. */
  url: string;
  /** Without /api/v1 and without the query, e.g. '/file/<id>/download'. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Bytes of request body read so far (final once the request has ended). */
  bodySize: number;
  /** The response status; 0 until the response starts. */
  status: number;
  /** The client's port: requests on one connection share it. */
  remotePort: number | undefined;
  /** Arrival time, ms since the epoch (fractional). */
  at: number;
  /** When the response ended or the connection closed, ms since the epoch; undefined before. */
  finishedAt?: number | undefined;
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

  readonly faults: Pick<
    Faults,
    'dropDownload' | 'stallDownload' | 'chunkDownload' | 'failNext' | 'delay' | 'redirectDownload' | 'reset'
  >;
  /** The object store downloads are redirected to, when the server was started with one. */
  readonly objectStore: ObjectStore | undefined;
}
