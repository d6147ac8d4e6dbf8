// What a route handler sees: the server's state and one request, with its parameters merged the way
// CherryPy merges them (query string plus a form-encoded body) and its authentication resolved lazily.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Faults } from './faults.js';
import type { FileStorage } from './file-storage.js';
import type { ObjectStore } from './object-store.js';
import type { Doc, Store, TokenDoc, UserDoc } from './store.js';

export interface ServerState {
  readonly store: Store;
  readonly storage: FileStorage;
  readonly faults: Faults;
  readonly apiUrl: string;
  /** The single filesystem assetstore every file belongs to. */
  readonly assetstoreId: string;
  readonly artifactRoute: boolean;
  readonly serverStartDate: Date;
  /** Every status each job went through, for jobStatusHistory(). */
  readonly statusHistory: Map<string, (number | string)[]>;
  readonly onJobCancel: ((job: Doc) => void | Promise<void>) | undefined;
  /** Where downloads are redirected (an S3 assetstore's bucket), and with which status. */
  readonly objectStore: { store: ObjectStore; redirectStatus: number } | undefined;
}

export class RequestContext {
  readonly requestUid = randomUUID();
  /** Bytes of the request body consumed so far, whoever consumed them. */
  bodyBytes = 0;
  /** Set once something reads the body (a handler, the form parser, or the final drain). */
  bodyConsumed = false;
  /** The route's token scopes (Girder's requiredScopes), which decide whether a token yields a user. */
  requiredScopes: string | undefined;
  /** undefined: not looked up yet; null: none. */
  token: TokenDoc | null | undefined;
  user: UserDoc | null | undefined;

  constructor(
    readonly server: ServerState,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** The method that decides the route: HEAD is served by GET, as CherryPy's MethodDispatcher does. */
    readonly method: string,
    /** Path segments after /api/v1, URL-decoded. */
    readonly segments: readonly string[],
    /** Query and form parameters (every name once: duplicates are refused before routing). */
    readonly params: ReadonlyMap<string, string>,
  ) {}

  header(name: string): string | undefined {
    const value = this.req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }
}
