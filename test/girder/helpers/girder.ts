// A Girder test server for one test file, with a user, a collection and a folder to work in, and
// longshore configured to use it.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { configure, resetConfiguration } from '../../../src/index.js';
import {
  startGirderTestServer,
  type Doc,
  type GirderTestServer,
  type GirderTestServerOptions,
} from '../server/index.js';

export interface GirderFixture {
  readonly server: GirderTestServer;
  readonly token: string;
  readonly user: Doc;
  readonly folder: Doc;
  /** A new item in the fixture's folder, holding `files` (name → contents). */
  item(name: string, files?: Record<string, Buffer | string>): { item: Doc; files: Doc[] };
  /** Points longshore at the server again (tests may change the configuration). */
  configure(extra?: Record<string, unknown>): void;
}

export function useGirder(
  options: GirderTestServerOptions | (() => Promise<GirderTestServerOptions>) = {},
): GirderFixture {
  let server: GirderTestServer | undefined;
  let token = '';
  let user: Doc | undefined;
  let folder: Doc | undefined;
  const fixture: GirderFixture = {
    get server() {
      if (!server) throw new Error('the Girder test server is not started yet');
      return server;
    },
    get token() {
      return token;
    },
    get user() {
      return user!;
    },
    get folder() {
      return folder!;
    },
    item(name, files = {}) {
      const item = fixture.server.createItem(fixture.folder._id, name);
      const docs = Object.entries(files).map(([fileName, content]) =>
        fixture.server.createFile(item._id, fileName, Buffer.from(content)),
      );
      return { item, files: docs };
    },
    configure(extra = {}) {
      configure({ girder: { apiUrl: fixture.server.apiUrl, token, retryDelayMs: 20, ...extra } });
    },
  };
  beforeAll(async () => {
    server = await startGirderTestServer(typeof options === 'function' ? await options() : options);
    const created = server.createUser('tester');
    token = created.token;
    user = created.user;
    const collection = server.createCollection('data', { ownerId: created.user._id });
    folder = server.createFolder(collection._id, 'work', {
      parentType: 'collection',
      ownerId: created.user._id,
    });
  });
  afterEach(() => {
    server?.faults.reset();
    server?.objectStore?.reset();
    resetConfiguration();
  });
  afterAll(async () => {
    resetConfiguration();
    await server?.close();
  });
  return fixture;
}
