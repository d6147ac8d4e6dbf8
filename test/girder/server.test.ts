// Contract tests of the Girder test server: real HTTP with fetch, checked against what Girder's own
// source answers (girder/api/rest.py, api/v1/*.py, models, the jobs plugin and girder_worker's Girder
// plugin): status codes, exact error bodies, documents, the upload protocol, job transitions, faults.
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CustomJobStatus,
  type Doc,
  type GirderTestServer,
  JobStatus,
  TokenScope,
  UPLOAD_MINIMUM_CHUNK_SIZE,
  pseudoRandomBytes,
  startGirderTestServer,
} from './server/index.js';

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

interface CallOptions {
  token?: string;
  query?: Record<string, string | number | boolean>;
  body?: Buffer | string;
  /** Sent form-encoded, as girder_worker's JobManager and girder_client send PUT job/:id. */
  form?: Record<string, string | number>;
  headers?: Record<string, string>;
}

let server: GirderTestServer;

async function call(method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  const url = new URL(`${server.apiUrl}/${path}`);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.append(k, String(v));
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['Girder-Token'] = opts.token;
  let body: Buffer | string | undefined = opts.body;
  if (opts.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(
      Object.entries(opts.form).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
  }
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** A user with a private folder and an item in it: the usual place for files. */
function seedItem(login = 'alice') {
  const { user, token } = server.createUser(login);
  const folder = server.createFolder(user._id, 'data', { parentType: 'user' });
  const item = server.createItem(folder._id, 'item');
  return { user, token, folder, item };
}

beforeEach(async () => {
  server = await startGirderTestServer();
});

afterEach(async () => {
  await server.close();
});

describe('authentication', () => {
  it('resolves a user from the Girder-Token header or the token parameter, and none without', async () => {
    const { user, token } = server.createUser('alice');
    expect((await call('GET', 'user/me')).body).toBeNull();
    const me = await call('GET', 'user/me', { token });
    expect(me.body).toMatchObject({ _id: user._id, login: 'alice', _modelType: 'user', _accessLevel: 2 });
    expect((await call('GET', 'user/me', { query: { token } })).body).toMatchObject({ _id: user._id });
  });

  it("answers 401 'You must be logged in.' for a missing or unknown token on user routes", async () => {
    const { folder } = seedItem();
    for (const token of [undefined, 'not-a-token']) {
      const res = await call('POST', 'item', {
        query: { folderId: folder._id, name: 'x' },
        ...(token ? { token } : {}),
      });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: 'You must be logged in.', type: 'access' });
    }
  });

  it('answers 401 to no user and 403 to the wrong user, naming the model, id and user', async () => {
    const { item } = seedItem();
    const file = server.createFile(item._id, 'a.txt', Buffer.from('hello'));
    const bob = server.createUser('bob');
    const anonymous = await call('GET', `file/${file._id}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({
      message: `Read access denied for file ${file._id} (user None).`,
      type: 'access',
    });
    const other = await call('GET', `file/${file._id}`, { token: bob.token });
    expect(other.status).toBe(403);
    expect(other.body).toEqual({
      message: `Read access denied for file ${file._id} (user ${bob.user._id}).`,
      type: 'access',
    });
  });

  it('gives a job token no user on data routes, and honours scoped user tokens', async () => {
    const { user, item } = seedItem();
    const file = server.createFile(item._id, 'a.txt', Buffer.from('hello'));
    const { jobToken } = server.createJob();
    expect((await call('GET', `file/${file._id}`, { token: jobToken })).status).toBe(401);
    const readOnly = server.createToken(user._id, { scope: [TokenScope.DATA_READ] });
    expect((await call('GET', `file/${file._id}`, { token: readOnly })).status).toBe(200);
    const denied = await call('POST', 'item', {
      token: readOnly,
      query: { folderId: item.folderId as string, name: 'n' },
    });
    expect(denied.status).toBe(401);
  });

  it('turns an API key into a token, and refuses unknown, inactive and missing keys as Girder does', async () => {
    const { user } = server.createUser('alice');
    const key = server.createApiKey(user._id);
    const res = await call('POST', 'api_key/token', { query: { key, duration: 1 } });
    expect(res.status).toBe(200);
    const answer = res.body as { user: Doc; authToken: { token: string; expires: string; scope: string[] } };
    expect(answer.user).toEqual({ _id: user._id });
    expect(answer.authToken.scope).toEqual(['core.user_auth']);
    expect(answer.authToken.expires).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
    const expiresIn = Date.parse(answer.authToken.expires) - Date.now();
    expect(expiresIn).toBeGreaterThan(23 * 3600e3);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3600e3);
    expect((await call('GET', 'user/me', { token: answer.authToken.token })).body).toMatchObject({
      login: 'alice',
    });

    const inactive = server.createApiKey(user._id, { active: false });
    for (const bad of ['nope', inactive]) {
      const refused = await call('POST', 'api_key/token', { query: { key: bad } });
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({ message: 'Invalid API key.', type: 'validation' });
    }
    const missing = await call('POST', 'api_key/token');
    expect(missing.body).toEqual({ message: 'Parameter "key" is required.', type: 'rest' });
  });

  it('refuses a parameter given twice', async () => {
    const res = await fetch(`${server.apiUrl}/system/version?foo=1&foo=2`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      message: 'Parameter "foo" must not be specified multiple times.',
      type: 'rest',
    });
  });

  it("reports Girder 3's version", async () => {
    const res = await call('GET', 'system/version');
    expect(res.body).toMatchObject({ release: '3.2.0' });
    expect((res.body as { serverStartDate: string }).serverStartDate).toMatch(/\+00:00$/);
  });
});

describe('ids and routes', () => {
  it('answers a malformed id with a validation error and an unknown one with Girder per route', async () => {
    const { token } = seedItem();
    const malformed = await call('GET', 'file/1234', { token });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ message: 'Invalid ObjectId: 1234', type: 'validation', field: 'id' });
    const unknown = 'a'.repeat(24);
    for (const model of ['file', 'item', 'folder', 'job']) {
      const res = await call('GET', `${model}/${unknown}`, { token });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: `Invalid ${model} id (${unknown}).`, type: 'rest' });
    }
    // Routes that load a parent themselves use Model.load(exc=True).
    const parent = await call('POST', 'file', {
      token,
      query: { parentType: 'item', parentId: unknown, name: 'x', size: 1 },
    });
    expect(parent.body).toEqual({ message: `No such item: ${unknown}`, type: 'validation', field: 'id' });
  });

  it("answers an unmatched route under a known resource with Girder's 400, an unknown resource with a 404", async () => {
    const res = await call('GET', 'file/a/b/c');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'No matching route for "GET file/a/b/c"', type: 'rest' });
    const outside = await call('GET', 'bogus');
    expect(outside.status).toBe(404);
    expect(outside.text).toContain("The path '/api/v1/bogus' was not found.");
  });

  it('has no job artifact route unless asked: stock Girder answers No matching route', async () => {
    const { job } = server.createJob();
    const res = await call('POST', `job/${job._id}/artifact`, {
      query: { name: 'a.txt', size: 2 },
      body: 'hi',
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      message: `No matching route for "POST job/${job._id}/artifact"`,
      type: 'rest',
    });
  });

  it('stores a job artifact when started with artifactRoute', async () => {
    await server.close();
    server = await startGirderTestServer({ artifactRoute: true });
    const { user } = server.createUser('alice');
    const { job } = server.createJob({ userId: user._id });
    const clientToken = server.createToken(user._id, { scope: [TokenScope.CREATE_JOB] });
    const res = await call('POST', `job/${job._id}/artifact`, {
      token: clientToken,
      query: { name: 'out.txt', size: 5, mimeType: 'text/plain' },
      body: 'hello',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      _modelType: 'file',
      name: 'out.txt',
      size: 5,
      mimeType: 'text/plain',
      itemId: null,
    });
    const [artifact] = server.listArtifacts(job._id);
    expect(artifact).toMatchObject({ attachedToType: 'job', attachedToId: job._id });
    expect((await server.fileContents((res.body as Doc)._id)).toString()).toBe('hello');
  });
});

describe('downloads', () => {
  it('streams a whole file with Girder content headers', async () => {
    const { token, item } = seedItem();
    const content = pseudoRandomBytes(3 << 20, 'dl');
    const file = server.createFile(item._id, 'data.bin', { size: content.length, seed: 'dl' });
    expect((await server.fileContents(file._id)).equals(content)).toBe(true);
    const res = await fetch(`${server.apiUrl}/file/${file._id}/download`, {
      headers: { 'Girder-Token': token },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(content.length));
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="data.bin"');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-range')).toBeNull();
    expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true);
  });

  it('serves a single Range with 206 and Content-Range; the Range wins over offset', async () => {
    const { token, item } = seedItem();
    const content = Buffer.from('0123456789abcdefghij');
    const file = server.createFile(item._id, 'a.txt', content, { mimeType: 'text/plain' });
    const get = (range: string | undefined, query = '') =>
      fetch(`${server.apiUrl}/file/${file._id}/download${query}`, {
        headers: { 'Girder-Token': token, ...(range ? { Range: range } : {}) },
      });
    const ranged = await get('bytes=10-14', '?offset=2');
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 10-14/20');
    expect(await ranged.text()).toBe('abcde');
    const suffix = await get('bytes=-3');
    expect(suffix.headers.get('content-range')).toBe('bytes 17-19/20');
    expect(await suffix.text()).toBe('hij');
    const open = await get('bytes=15-');
    expect(await open.text()).toBe('fghij');
    // An unsatisfiable range is dropped by CherryPy: the whole file, 200.
    const beyond = await get('bytes=50-60');
    expect(beyond.status).toBe(200);
    expect(await beyond.text()).toBe(content.toString());
  });

  it('serves offset and an exclusive endByte, clipped to the file', async () => {
    const { token, item } = seedItem();
    const file = server.createFile(item._id, 'a.txt', Buffer.from('0123456789'));
    const res = await call('GET', `file/${file._id}/download`, { token, query: { offset: 2, endByte: 5 } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(res.text).toBe('234');
    const tail = await call('GET', `file/${file._id}/download`, {
      token,
      query: { offset: 7, endByte: 100 },
    });
    expect(tail.headers.get('content-range')).toBe('bytes 7-9/10');
    expect(tail.text).toBe('789');
    const bad = await call('GET', `file/${file._id}/download`, { token, query: { endByte: 'x' } });
    expect(bad.body).toEqual({ message: 'Invalid value for integer parameter endByte: x.', type: 'rest' });
  });

  it('names a non-ASCII file in filename*', async () => {
    const { token, item } = seedItem();
    const file = server.createFile(item._id, 'résumé ✓.txt', Buffer.from('x'));
    const res = await call('GET', `file/${file._id}/download`, {
      token,
      query: { contentDisposition: 'inline' },
    });
    expect(res.headers.get('content-disposition')).toBe(
      `inline; filename="résumé .txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%9C%93.txt`,
    );
  });
});

describe('uploads', () => {
  it('checks every chunk against the bytes received so far, and ends with the file', async () => {
    const { user, token, item } = seedItem();
    const content = pseudoRandomBytes(UPLOAD_MINIMUM_CHUNK_SIZE + 1000, 'up');
    const init = await call('POST', 'file', {
      token,
      query: { parentType: 'item', parentId: item._id, name: 'up.bin', size: content.length },
    });
    expect(init.status).toBe(200);
    const upload = init.body as Doc;
    expect(upload).toMatchObject({
      received: 0,
      size: content.length,
      name: 'up.bin',
      parentType: 'item',
      parentId: item._id,
      userId: user._id,
      mimeType: 'application/octet-stream',
    });

    const chunk = (offset: number, bytes: Buffer) =>
      call('POST', 'file/chunk', { token, query: { uploadId: upload._id, offset }, body: bytes });
    const wrong = await chunk(7, content.subarray(0, UPLOAD_MINIMUM_CHUNK_SIZE));
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({
      message: 'Server has received 0 bytes, but client sent offset 7.',
      type: 'rest',
    });
    // Every chunk but the last must be at least 5 MiB (core.upload_minimum_chunk_size).
    const small = await chunk(0, content.subarray(0, 1000));
    expect(small.body).toEqual({ message: 'Chunk is smaller than the minimum size.', type: 'validation' });

    const first = await chunk(0, content.subarray(0, UPLOAD_MINIMUM_CHUNK_SIZE));
    expect(first.body).toMatchObject({ _id: upload._id, received: UPLOAD_MINIMUM_CHUNK_SIZE });
    const offset = await call('GET', 'file/offset', { token, query: { uploadId: upload._id } });
    expect(offset.body).toEqual({ offset: UPLOAD_MINIMUM_CHUNK_SIZE });

    const last = await chunk(UPLOAD_MINIMUM_CHUNK_SIZE, content.subarray(UPLOAD_MINIMUM_CHUNK_SIZE));
    expect(last.status).toBe(200);
    const file = last.body as Doc;
    expect(file).toMatchObject({
      _modelType: 'file',
      name: 'up.bin',
      size: content.length,
      itemId: item._id,
      exts: ['bin'],
    });
    expect((await server.fileContents(file._id)).equals(content)).toBe(true);
    expect(server.getDoc('item', item._id)).toMatchObject({ size: content.length });
    expect(server.getDoc('upload', upload._id)).toBeUndefined();
    const gone = await chunk(content.length, Buffer.from('x'));
    expect(gone.body).toEqual({ message: `Invalid upload id (${upload._id}).`, type: 'rest' });
  });

  it('refuses too many bytes, and chunks of an upload someone else started', async () => {
    const { token, item, folder } = seedItem();
    const init = await call('POST', 'file', {
      token,
      query: { parentType: 'item', parentId: item._id, name: 'a', size: 3 },
    });
    const uploadId = (init.body as Doc)._id;
    const tooMany = await call('POST', 'file/chunk', { token, query: { uploadId, offset: 0 }, body: 'abcd' });
    expect(tooMany.body).toEqual({ message: 'Received too many bytes.', type: 'validation' });
    const bob = server.createUser('bob', { admin: true });
    const foreign = await call('POST', 'file/chunk', {
      token: bob.token,
      query: { uploadId, offset: 0 },
      body: 'abc',
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual({ message: 'You did not initiate this upload.', type: 'access' });
    const done = await call('POST', 'file/chunk', { token, query: { uploadId, offset: 0 }, body: 'abc' });
    expect(done.body).toMatchObject({ _modelType: 'file', size: 3 });
    void folder;
  });

  it('finalizes a zero-byte file at once', async () => {
    const { token, item } = seedItem();
    const res = await call('POST', 'file', {
      token,
      query: { parentType: 'item', parentId: item._id, name: 'empty', size: 0 },
    });
    expect(res.body).toMatchObject({ _modelType: 'file', name: 'empty', size: 0, itemId: item._id });
    const download = await call('GET', `file/${(res.body as Doc)._id}/download`, { token });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-length')).toBe('0');
    expect(download.text).toBe('');
  });

  it('takes a whole small file in one POST to a folder, making an item named after it', async () => {
    const { token, folder } = seedItem();
    const upload = (name: string) =>
      call('POST', 'file', {
        token,
        query: { parentType: 'folder', parentId: folder._id, name, size: 5, mimeType: 'text/plain' },
        body: 'hello',
      });
    const file = (await upload('hello.txt')).body as Doc;
    expect(file).toMatchObject({ _modelType: 'file', name: 'hello.txt', size: 5, mimeType: 'text/plain' });
    expect(server.getDoc('item', file.itemId as string)).toMatchObject({
      name: 'hello.txt',
      folderId: folder._id,
    });
    // Item.validate renames rather than refuses.
    const again = (await upload('hello.txt')).body as Doc;
    expect(server.getDoc('item', again.itemId as string)).toMatchObject({ name: 'hello.txt (1)' });
    expect((await server.fileContents(again._id)).toString()).toBe('hello');
  });

  it('replaces the contents of a file, and deletes files', async () => {
    const { token, item } = seedItem();
    const file = server.createFile(item._id, 'a.txt', Buffer.from('old contents'));
    const init = await call('PUT', `file/${file._id}/contents`, { token, query: { size: 3 } });
    expect(init.body).toMatchObject({ fileId: file._id, size: 3, received: 0, name: 'a.txt' });
    const done = await call('POST', 'file/chunk', {
      token,
      query: { uploadId: (init.body as Doc)._id, offset: 0 },
      body: 'new',
    });
    expect(done.body).toMatchObject({ _id: file._id, size: 3 });
    expect((await server.fileContents(file._id)).toString()).toBe('new');
    expect(server.getDoc('item', item._id)).toMatchObject({ size: 3 });
    const deleted = await call('DELETE', `file/${file._id}`, { token });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toBeNull();
    expect(server.getDoc('file', file._id)).toBeUndefined();
    expect(existsSync(server.filePath(file._id))).toBe(false);
  });
});

describe('items and folders', () => {
  it('reuses an existing folder or item only when asked', async () => {
    const { user, token, folder } = seedItem();
    const make = (reuseExisting: boolean) =>
      call('POST', 'folder', {
        token,
        query: { parentType: 'folder', parentId: folder._id, name: 'sub', reuseExisting },
      });
    const sub = (await make(false)).body as Doc;
    expect(sub).toMatchObject({
      _modelType: 'folder',
      name: 'sub',
      parentId: folder._id,
      creatorId: user._id,
      _accessLevel: 2,
    });
    expect(((await make(true)).body as Doc)._id).toBe(sub._id);
    const clash = await make(false);
    expect(clash.body).toEqual({
      message: 'A folder with that name already exists here.',
      type: 'validation',
      field: 'name',
    });

    const item = (reuse: boolean) =>
      call('POST', 'item', { token, query: { folderId: sub._id, name: 'it', reuseExisting: reuse } });
    const first = (await item(false)).body as Doc;
    expect(((await item(true)).body as Doc)._id).toBe(first._id);
    expect(((await item(false)).body as Doc).name).toBe('it (1)');
    const folderClash = await call('POST', 'folder', { token, query: { parentId: sub._id, name: 'it' } });
    expect(folderClash.body).toEqual({
      message: 'An item with that name already exists here.',
      type: 'validation',
      field: 'name',
    });
  });

  it('pages items by 50 sorted by lowerName, with Girder-Total-Count', async () => {
    const { token, folder } = seedItem();
    for (let i = 0; i < 60; i++) server.createItem(folder._id, `Item-${String(59 - i).padStart(2, '0')}`);
    const page = await call('GET', 'item', { token, query: { folderId: folder._id } });
    const names = (page.body as Doc[]).map((d) => d.name);
    expect(names).toHaveLength(50);
    expect(names[0]).toBe('item');
    expect(names[1]).toBe('Item-00');
    expect(page.headers.get('girder-total-count')).toBe('61');
    const rest = await call('GET', 'item', { token, query: { folderId: folder._id, offset: 50 } });
    expect((rest.body as Doc[]).map((d) => d.name)).toEqual(
      Array.from({ length: 11 }, (_, i) => `Item-${String(49 + i).padStart(2, '0')}`),
    );
    const all = await call('GET', 'item', { token, query: { folderId: folder._id, limit: 0 } });
    expect(all.body).toHaveLength(61);
    const byName = await call('GET', 'item', { token, query: { folderId: folder._id, name: 'Item-07' } });
    expect((byName.body as Doc[]).map((d) => d.name)).toEqual(['Item-07']);
    expect((await call('GET', 'item', { token })).body).toEqual({
      message: 'Invalid search mode.',
      type: 'rest',
    });
    expect((await call('GET', 'item', { token, query: { folderId: folder._id, limit: 'x' } })).body).toEqual({
      message: 'Invalid value for integer parameter limit: x.',
      type: 'rest',
    });
  });

  it("pages an item's files sorted by name, and a parent's folders", async () => {
    const { user, token, item, folder } = seedItem();
    for (const name of ['c', 'a', 'b']) server.createFile(item._id, name, Buffer.from(name));
    const files = await call('GET', `item/${item._id}/files`, { token, query: { limit: 2 } });
    expect((files.body as Doc[]).map((f) => f.name)).toEqual(['a', 'b']);
    expect(files.headers.get('girder-total-count')).toBe('3');
    const reversed = await call('GET', `item/${item._id}/files`, { token, query: { sortdir: -1 } });
    expect((reversed.body as Doc[]).map((f) => f.name)).toEqual(['c', 'b', 'a']);

    const mine = await call('GET', 'folder', { token, query: { parentType: 'user', parentId: user._id } });
    expect((mine.body as Doc[]).map((f) => f.name)).toEqual(['data', 'Private', 'Public']);
    // Another user sees only what is public.
    const bob = server.createUser('bob');
    const theirs = await call('GET', 'folder', {
      token: bob.token,
      query: { parentType: 'user', parentId: user._id },
    });
    expect((theirs.body as Doc[]).map((f) => f.name)).toEqual(['Public']);
    expect((await call('GET', `folder/${folder._id}`, { token })).body).toMatchObject({
      _id: folder._id,
      _modelType: 'folder',
      parentCollection: 'user',
      baseParentType: 'user',
      baseParentId: user._id,
    });
  });
});

describe('jobs', () => {
  function seedJob(
    otherFields: Record<string, unknown> = { celeryTaskId: 'task-1' },
    handler = 'celery_handler',
  ) {
    const { user, token } = server.createUser('alice');
    return { user, token, ...server.createJob({ userId: user._id, handler, otherFields }) };
  }

  it('hands out a jobInfoSpec whose token reads and updates that job only', async () => {
    const { job, jobToken, jobInfoSpec } = seedJob();
    expect(jobInfoSpec).toEqual({
      method: 'PUT',
      url: `${server.apiUrl}/job/${job._id}`,
      reference: job._id,
      headers: { 'Girder-Token': jobToken },
      logPrint: true,
    });
    const read = await call('GET', `job/${job._id}`, { token: jobToken });
    expect(read.body).toMatchObject({
      _id: job._id,
      status: 0,
      log: [],
      handler: 'celery_handler',
      _modelType: 'job',
    });
    const anonymous = await call('GET', `job/${job._id}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({
      message: `Invalid token scope.\nRequired: jobs.job_${job._id}.\nAllowed: `,
      type: 'access',
    });
    const other = server.createJob();
    const foreign = await call('PUT', `job/${job._id}`, { token: other.jobToken, form: { status: 2 } });
    expect(foreign.status).toBe(401);
    expect(foreign.body).toEqual({
      message: `Invalid token scope.\nRequired: jobs.job_${job._id}.\nAllowed: jobs.job_${other.job._id}`,
      type: 'access',
    });
    const none = await call('PUT', `job/${job._id}`, { form: { status: 2 } });
    expect(none.body).toEqual({
      message: 'You must be logged in or have a valid auth token.',
      type: 'access',
    });
    const bob = server.createUser('bob');
    const stranger = await call('PUT', `job/${job._id}`, { token: bob.token, form: { status: 2 } });
    expect(stranger.status).toBe(403);
    expect(stranger.body).toEqual({
      message: `Write access denied for job ${job._id} (user ${bob.user._id}).`,
      type: 'access',
    });
  });

  it('follows a worker run: status, log lines appended, progress, timestamps', async () => {
    const { job, jobToken } = seedJob();
    const put = (form: Record<string, string | number>) =>
      call('PUT', `job/${job._id}`, { token: jobToken, form });
    const running = await put({ status: JobStatus.RUNNING, log: 'line 1\n' });
    expect(running.status).toBe(200);
    expect(running.body).toMatchObject({ status: 2 });
    expect(running.body).not.toHaveProperty('log');
    await put({ log: 'line 2\n', progressTotal: 100, progressCurrent: 10, progressMessage: 'working' });
    await put({ status: JobStatus.RUNNING });
    await put({ status: JobStatus.SUCCESS });
    const done = (await call('GET', `job/${job._id}`, { token: jobToken })).body as Doc;
    expect(done).toMatchObject({
      status: 3,
      log: ['line 1\n', 'line 2\n'],
      progress: { total: 100, current: 10, message: 'working' },
    });
    expect((done.progress as { notificationId: unknown }).notificationId).toMatch(/^[0-9a-f]{24}$/);
    expect((done.timestamps as { status: number }[]).map((t) => t.status)).toEqual([2, 3]);
    expect(server.jobStatusHistory(job._id)).toEqual([0, 2, 3]);
    await put({ log: 'only', overwrite: 'true' });
    expect(server.getDoc('job', job._id)).toMatchObject({ log: ['only'] });
  });

  it('refuses transitions as Girder words them, and keeps the log of a refused update out', async () => {
    const { job, jobToken } = seedJob();
    const put = (form: Record<string, string | number>) =>
      call('PUT', `job/${job._id}`, { token: jobToken, form });
    const toSuccess = await put({ status: JobStatus.SUCCESS, log: 'lost' });
    expect(toSuccess.status).toBe(400);
    expect(toSuccess.body).toEqual({
      message: "Invalid state transition to '3', Current state is '0'.",
      type: 'validation',
      field: 'status',
    });
    expect(server.getDoc('job', job._id)).toMatchObject({ log: [] });
    const toInactive = await put({ status: JobStatus.INACTIVE });
    expect(toInactive.status).toBe(200); // the same status is no change at all
    await put({ status: JobStatus.RUNNING });
    const back = await put({ status: JobStatus.INACTIVE });
    expect(back.body).toEqual({
      message: "No valid state transition to '0'. Current state is '2'.",
      type: 'validation',
      field: 'status',
    });
    const unknown = await put({ status: 99 });
    expect(unknown.body).toEqual({ message: 'Invalid job status 99.', type: 'validation', field: 'status' });
    // girder_worker's celery table: RUNNING <- FETCHING_INPUT, PUSHING_OUTPUT <- CONVERTING_OUTPUT, SUCCESS <- PUSHING_OUTPUT.
    const path = [
      CustomJobStatus.FETCHING_INPUT,
      JobStatus.RUNNING,
      CustomJobStatus.CONVERTING_OUTPUT,
      CustomJobStatus.PUSHING_OUTPUT,
      JobStatus.SUCCESS,
    ];
    for (const status of path) expect((await put({ status })).status).toBe(200);
    expect(server.jobStatusHistory(job._id)).toEqual([0, 2, 820, 2, 822, 823, 3]);
  });

  it("uses girder_worker's tables: worker_handler jobs cannot jump from INACTIVE to RUNNING", async () => {
    const { job, jobToken } = seedJob({}, 'worker_handler');
    const res = await call('PUT', `job/${job._id}`, { token: jobToken, form: { status: JobStatus.RUNNING } });
    expect(res.body).toEqual({
      message: "Invalid state transition to '2', Current state is '0'.",
      type: 'validation',
      field: 'status',
    });
    for (const status of [JobStatus.QUEUED, JobStatus.RUNNING]) {
      expect((await call('PUT', `job/${job._id}`, { token: jobToken, form: { status } })).status).toBe(200);
    }
  });

  it('cancels: INACTIVE to CANCELED, a running job to CANCELING, and calls onJobCancel each time', async () => {
    const cancelled: Doc[] = [];
    server.onJobCancel = (job) => {
      cancelled.push(job);
    };
    const inactive = seedJob();
    const first = await call('PUT', `job/${inactive.job._id}/cancel`, { token: inactive.token });
    expect(first.body).toMatchObject({ status: JobStatus.CANCELED });
    expect(first.body).not.toHaveProperty('log');

    const running = server.createJob({ userId: inactive.user._id, otherFields: { celeryTaskId: 'task-2' } });
    await call('PUT', `job/${running.job._id}`, {
      token: running.jobToken,
      form: { status: JobStatus.RUNNING },
    });
    const second = await call('PUT', `job/${running.job._id}/cancel`, { token: inactive.token });
    expect(second.body).toMatchObject({ status: CustomJobStatus.CANCELING });
    expect(cancelled.map((j) => [j.celeryTaskId, j.status])).toEqual([
      ['task-1', 5],
      ['task-2', 824],
    ]);
    // The worker then reports the revoke: CANCELING -> CANCELED.
    const revoked = await call('PUT', `job/${running.job._id}`, {
      token: running.jobToken,
      form: { status: JobStatus.CANCELED },
    });
    expect(revoked.body).toMatchObject({ status: 5 });
    expect(server.jobStatusHistory(running.job._id)).toEqual([0, 2, 824, 5]);
    // A finished job, or one without a Celery task id, is left alone and nothing is revoked.
    await call('PUT', `job/${running.job._id}/cancel`, { token: inactive.token });
    const orphan = server.createJob({ userId: inactive.user._id });
    expect((await call('PUT', `job/${orphan.job._id}/cancel`, { token: inactive.token })).body).toMatchObject(
      { status: 0 },
    );
    expect(cancelled).toHaveLength(2);
  });

  it('refuses to cancel from a worker state that CANCELING does not follow, and without a user', async () => {
    const { job, jobToken, token } = seedJob();
    await call('PUT', `job/${job._id}`, { token: jobToken, form: { status: JobStatus.RUNNING } });
    await call('PUT', `job/${job._id}`, {
      token: jobToken,
      form: { status: CustomJobStatus.FETCHING_INPUT },
    });
    const res = await call('PUT', `job/${job._id}/cancel`, { token });
    expect(res.body).toEqual({
      message: "Invalid state transition to '824', Current state is '820'.",
      type: 'validation',
      field: 'status',
    });
    const byJobToken = await call('PUT', `job/${job._id}/cancel`, { token: jobToken });
    expect(byJobToken.status).toBe(401);
    expect(byJobToken.body).toEqual({ message: 'You must be logged in.', type: 'access' });
  });

  it('creates jobs over REST only with a jobs.rest.create_job token', async () => {
    const { user, token } = server.createUser('alice');
    const clientToken = server.createToken(user._id, { scope: [TokenScope.CREATE_JOB] });
    const form = {
      title: 'chained',
      type: 'celery',
      handler: 'celery_handler',
      args: '[]',
      kwargs: '{"a": 1}',
      otherFields: '{"celeryTaskId": "t-9"}',
    };
    const res = await call('POST', 'job', { token: clientToken, form });
    expect(res.status).toBe(200);
    const job = res.body as Doc & { jobInfoSpec: { headers: { 'Girder-Token': string } } };
    expect(job).toMatchObject({
      title: 'chained',
      status: 0,
      handler: 'celery_handler',
      _modelType: 'job',
      log: [],
    });
    expect(server.getDoc('job', job._id)).toMatchObject({
      userId: user._id,
      celeryTaskId: 't-9',
      kwargs: { a: 1 },
    });
    const update = await call('PUT', `job/${job._id}`, {
      token: job.jobInfoSpec.headers['Girder-Token'],
      form: { status: JobStatus.RUNNING },
    });
    expect(update.status).toBe(200);

    const userToken = await call('POST', 'job', { token, form });
    expect(userToken.status).toBe(403);
    expect(userToken.body).toEqual({
      message: 'Invalid token scope, required: jobs.rest.create_job.',
      type: 'access',
    });
    expect((await call('POST', 'job', { form })).status).toBe(401);
    const noTitle = await call('POST', 'job', { token: clientToken, form: { type: 'x' } });
    expect(noTitle.body).toEqual({ message: 'Parameter "title" is required.', type: 'rest' });
    const badArgs = await call('POST', 'job', { token: clientToken, form: { ...form, args: '[oops' } });
    expect(badArgs.body).toEqual({ message: 'Parameter args must be valid JSON.', type: 'rest' });
  });
});

describe('faults', () => {
  /** Reads a download over a raw socket: how many body bytes arrived, and whether the response completed. */
  function rawDownload(
    fileId: string,
    token: string,
  ): Promise<{ status: number; length: string; bytes: number; complete: boolean }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${server.apiUrl}/file/${fileId}/download`,
        { headers: { 'Girder-Token': token } },
        (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('error', () => {});
          res.on('close', () =>
            resolve({
              status: res.statusCode ?? 0,
              length: res.headers['content-length'] ?? '',
              bytes,
              complete: res.complete,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('drops a download mid-body after the given bytes, for the given number of downloads', async () => {
    const { token, item } = seedItem();
    const file = server.createFile(item._id, 'big.bin', { size: 4 << 20 });
    server.faults.dropDownload(file._id, 100_000, 2);
    for (let i = 0; i < 2; i++) {
      expect(await rawDownload(file._id, token)).toEqual({
        status: 200,
        length: String(4 << 20),
        bytes: 100_000,
        complete: false,
      });
    }
    expect(await rawDownload(file._id, token)).toMatchObject({ bytes: 4 << 20, complete: true });
    server.faults.dropDownload(file._id, 10);
    await expect(
      fetch(`${server.apiUrl}/file/${file._id}/download`, { headers: { 'Girder-Token': token } }).then((r) =>
        r.arrayBuffer(),
      ),
    ).rejects.toThrow();
  });

  it('fails the next matching requests with a Girder-shaped body, then serves again', async () => {
    const { token, item } = seedItem();
    server.faults.failNext({ method: 'GET', path: /^\/item\// }, 503, 2);
    const post = await call('POST', 'item', {
      token,
      query: { folderId: item.folderId as string, name: 'x' },
    });
    expect(post.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const res = await call('GET', `item/${item._id}`, { token });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        message: 'An unexpected error occurred on the server.',
        type: 'internal',
      });
    }
    expect((await call('GET', `item/${item._id}`, { token })).status).toBe(200);
  });

  it('delays matching requests, and reset() clears every pending fault', async () => {
    const { token, item } = seedItem();
    server.faults.delay({ path: /^\/item\// }, 300);
    const started = Date.now();
    expect((await call('GET', `item/${item._id}`, { token })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const quick = Date.now();
    await call('GET', `item/${item._id}`, { token });
    expect(Date.now() - quick).toBeLessThan(250);

    server.faults.delay({ path: /./ }, 5000);
    server.faults.failNext({ path: /./ }, 500);
    server.faults.reset();
    const after = Date.now();
    expect((await call('GET', `item/${item._id}`, { token })).status).toBe(200);
    expect(Date.now() - after).toBeLessThan(1000);
  });
});

describe('the server itself', () => {
  it('records every request: method, path, query, headers, body size and status', async () => {
    const { token, item } = seedItem();
    server.clearRequests();
    await call('POST', 'file', {
      token,
      query: { parentType: 'item', parentId: item._id, name: 'r.txt', size: 4 },
      body: 'data',
    });
    await call('GET', 'nowhere');
    expect(
      server.requests.map(({ method, path, query, bodySize, status }) => ({
        method,
        path,
        query,
        bodySize,
        status,
      })),
    ).toEqual([
      {
        method: 'POST',
        path: '/file',
        query: { parentType: 'item', parentId: item._id, name: 'r.txt', size: '4' },
        bodySize: 4,
        status: 200,
      },
      { method: 'GET', path: '/nowhere', query: {}, bodySize: 0, status: 404 },
    ]);
    expect(server.requests[0]?.headers['girder-token']).toBe(token);
  });

  it('closes idempotently, with open connections, and removes its file store', async () => {
    const { item } = seedItem();
    const file = server.createFile(item._id, 'a', Buffer.from('x'));
    const path = server.filePath(file._id);
    expect(existsSync(path)).toBe(true);
    // A keep-alive connection stays open after this request.
    await call('GET', 'system/version');
    await Promise.all([server.close(), server.close()]);
    await server.close();
    expect(existsSync(path)).toBe(false);
    await expect(fetch(`${server.apiUrl}/system/version`)).rejects.toThrow();
  });
});
