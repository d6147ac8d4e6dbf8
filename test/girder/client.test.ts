// The Girder client against the Girder test server over real HTTP: tokens and API keys, Girder's
// errors, retries on 5xx and dropped connections, timeouts and paged listings.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { GirderClient, GirderHttpError, ValidationError } from '../../src/index.js';
import { rejection, thrown } from '../helpers/task.js';
import { useGirder } from './helpers/girder.js';

const girder = useGirder();
const fast = { retryDelayMs: 10 };

describe('GirderClient', () => {
  it('sends the token as Girder-Token', async () => {
    const client = new GirderClient({ apiUrl: girder.server.apiUrl, token: girder.token, ...fast });
    const me = await client.get<{ login: string }>('user/me');
    expect(me.login).toBe('tester');
    const request = girder.server.requests.at(-1);
    expect(request?.headers['girder-token']).toBe(girder.token);
  });

  it('exchanges an API key for a token once', async () => {
    const key = girder.server.createApiKey(girder.user._id);
    const client = new GirderClient({ apiUrl: `${girder.server.apiUrl}/`, apiKey: key, ...fast });
    girder.server.clearRequests();
    await client.get('user/me');
    await client.get('user/me');
    const paths = girder.server.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual(['POST /api_key/token', 'GET /user/me', 'GET /user/me']);
  });

  it('sends the API key in a form body, never in a URL (access logs keep request lines)', async () => {
    const key = girder.server.createApiKey(girder.user._id);
    girder.server.clearRequests();
    const client = new GirderClient({ apiUrl: girder.server.apiUrl, apiKey: key, ...fast });
    await client.get('user/me');
    // A refused key goes the same way.
    await rejection(
      new GirderClient({ apiUrl: girder.server.apiUrl, apiKey: 'b'.repeat(40), ...fast }).get('user/me'),
    );
    const exchanges = girder.server.requests.filter((r) => r.path === '/api_key/token');
    expect(exchanges).toHaveLength(2);
    for (const exchange of exchanges) {
      expect(exchange.url).toBe('/api/v1/api_key/token');
      expect(exchange.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(exchange.bodySize).toBeGreaterThan(40);
    }
    expect(girder.server.requests.length).toBeGreaterThan(2);
    for (const request of girder.server.requests) {
      expect(request.url).not.toContain(key);
      expect(request.url).not.toContain('b'.repeat(40));
      expect(Object.values(request.query).join(' ')).not.toContain(key);
    }
  });

  it("names the request and Girder's words in its errors, never the key or token", async () => {
    const key = 'a'.repeat(40);
    const client = new GirderClient({ apiUrl: girder.server.apiUrl, apiKey: key, ...fast });
    const error = (await rejection(client.get('user/me'))) as GirderHttpError;
    expect(error).toBeInstanceOf(GirderHttpError);
    expect(error.method).toBe('POST');
    expect(error.path).toBe('api_key/token');
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.message).toMatch(
      /^Could not exchange the API key for a token: Girder POST api_key\/token failed/,
    );
    expect(error.message).not.toContain(key);
    expect(JSON.stringify(error)).not.toContain(key);

    const anonymous = new GirderClient({ apiUrl: girder.server.apiUrl, ...fast });
    const refused = (await rejection(anonymous.get(`folder/${girder.folder._id}`))) as GirderHttpError;
    expect([refused.status, refused.code]).toEqual([401, 'ERR_GIRDER_HTTP']);

    const wrongToken = 'not-a-real-token-value';
    const bad = new GirderClient({ apiUrl: girder.server.apiUrl, token: wrongToken, ...fast });
    const denied = (await rejection(bad.get(`folder/${girder.folder._id}`))) as GirderHttpError;
    expect(denied.status).toBe(401);
    expect(denied.message).not.toContain(wrongToken);
  });

  it("reports Girder's validation errors with their field", async () => {
    const client = new GirderClient({ apiUrl: girder.server.apiUrl, token: girder.token, ...fast });
    const error = (await rejection(client.get('file/nope'))) as GirderHttpError;
    expect([error.status, error.field]).toEqual([400, 'id']);
    expect(error.girderMessage).toContain('nope');
  });

  it('retries a 5xx with backoff, and gives up after its retries', async () => {
    const client = new GirderClient({
      apiUrl: girder.server.apiUrl,
      token: girder.token,
      retries: 2,
      ...fast,
    });
    girder.server.faults.failNext({ method: 'GET', path: /^\/user\/me$/ }, 503, 2);
    girder.server.clearRequests();
    await expect(client.get('user/me')).resolves.toMatchObject({ login: 'tester' });
    expect(girder.server.requests.map((r) => r.status)).toEqual([503, 503, 200]);

    girder.server.faults.failNext({ method: 'GET', path: /^\/user\/me$/ }, 500, 3);
    const error = (await rejection(client.get('user/me'))) as GirderHttpError;
    expect(error.status).toBe(500);
  });

  it('never retries a 4xx', async () => {
    const client = new GirderClient({
      apiUrl: girder.server.apiUrl,
      token: girder.token,
      retries: 3,
      ...fast,
    });
    girder.server.clearRequests();
    await rejection(client.get('item/000000000000000000000000'));
    expect(girder.server.requests).toHaveLength(1);
  });

  it('says so when nothing answers, after retrying', async () => {
    const port = await freePort();
    const client = new GirderClient({ apiUrl: `http://127.0.0.1:${port}/api/v1`, retries: 1, ...fast });
    const error = (await rejection(client.get('system/version'))) as GirderHttpError;
    expect([error.code, error.status]).toEqual(['ERR_GIRDER_UNREACHABLE', null]);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('times out a slow answer', async () => {
    const client = new GirderClient({
      apiUrl: girder.server.apiUrl,
      token: girder.token,
      timeoutMs: 200,
      retries: 0,
    });
    girder.server.faults.delay({ path: /^\/system\/version$/ }, 2000, 1);
    const started = Date.now();
    const error = (await rejection(client.get('system/version'))) as GirderHttpError;
    expect(error.status).toBeNull();
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('walks a paged listing with limit and offset', async () => {
    const client = new GirderClient({ apiUrl: girder.server.apiUrl, token: girder.token, ...fast });
    const { item } = girder.item('many');
    for (let i = 0; i < 120; i++)
      girder.server.createFile(item._id, `f${String(i).padStart(3, '0')}`, Buffer.from('x'));
    girder.server.clearRequests();
    const names: string[] = [];
    for await (const file of client.pages<{ name: string }>(`item/${item._id}/files`, {}))
      names.push(file.name);
    expect(names).toHaveLength(120);
    expect(new Set(names).size).toBe(120);
    expect(girder.server.requests.map((r) => r.query.offset)).toEqual(['0', '50', '100']);
  });

  it('refuses bad options before any request', () => {
    const error = thrown(() => new GirderClient({ apiUrl: 'ftp://girder' })) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe('girder.apiUrl');
    expect(
      (thrown(() => new GirderClient({ apiUrl: 'http://g/api/v1', chunkSize: 0 })) as ValidationError).field,
    ).toBe('girder.chunkSize');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
