// The monitor lets no one in who should not be: another origin's page (a no-cors fetch, a form
// POST) cannot cancel a running task, a rebinding Host gets 421, another origin's WebSocket is
// refused, and with login on the API wants a token and the dashboard a login, in real Chromium
// against a real worker and real containers.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { configure, dockerRun } from '../../src/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { hashPassword } from '../../src/monitor/auth/password-hash.js';
import { startMonitor, type MonitorOptions, type RunningMonitor } from '../../src/monitor/monitor.js';
import { BROKER, useBroker } from '../celery/helpers/broker.js';
import { useWorkerProcesses } from '../celery/helpers/worker-process.js';
import { BUSYBOX } from '../helpers/docker.js';
import { launchChromium, watchPage } from './helpers/browser.js';
import { request, taskIn, until } from './helpers/monitor-api.js';

const broker = useBroker();
const spawnWorker = useWorkerProcesses();
const dir = mkdtempSync(join(tmpdir(), 'longshore-test-monitor-auth-'));
const BIN = fileURLToPath(new URL('../../bin/longshore.js', import.meta.url));
const TOKEN = 'f'.repeat(20) + '0123456789abcdef0123';
const PASSWORD = 'correct horse battery';
const testid = (id: string): string => `[data-testid="${id}"]`;

let monitors: RunningMonitor[] = [];
let servers: Server[] = [];
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await Promise.all(monitors.map((m) => m.close()));
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  monitors = [];
  servers = [];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function monitor(options: Partial<MonitorOptions> = {}): Promise<RunningMonitor> {
  const started = await startMonitor({
    broker: BROKER,
    port: 0,
    dbPath: ':memory:',
    logger: silentLogger(),
    ...options,
  });
  monitors.push(started);
  return started;
}

async function authFile(): Promise<string> {
  const file = join(dir, `auth-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, `# test credentials\nuser alice ${await hashPassword(PASSWORD)}\ntoken ${TOKEN}\n`);
  return file;
}

/** A raw HTTP request, with whatever Host and headers a browser or an attacker would send. */
function raw(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket; resolves with 'open' or the refusal's status. */
function tryWebSocket(base: string, options: WebSocket.ClientOptions = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`, options);
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(String(res.statusCode));
      res.resume();
      ws.terminate();
    });
    ws.once('error', (error) => resolve(`error: ${error.message}`));
  });
}

/** Another site on this machine: a page on another port of 127.0.0.1. */
async function otherOrigin(html: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return `http://127.0.0.1:${address.port}/`;
}

const attackPage = (target: string): string => `<!doctype html><html><body>
<form id="f" method="POST" action="${target}"><input name="x" value="1"></form>
<script>
  fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors' })
    .then(() => { document.title = 'fetched'; }, () => { document.title = 'fetch failed'; })
    .finally(() => document.getElementById('f').submit());
</script></body></html>`;

describe('the monitor without a login (loopback)', () => {
  it('lets no other origin cancel a running task: no-cors fetch and form POST in Chromium; the task ends SUCCESS', async () => {
    const queue = broker.queue('auth-xorigin');
    const hostname = broker.hostname('auth-xorigin');
    const worker = spawnWorker(['--queues', queue, '--concurrency', '1', '--hostname', hostname]);
    try {
      const { url } = await monitor();
      await worker.waitFor(/Connected to/);
      configure({ broker: BROKER });
      const handle = dockerRun.applyAsync(
        [BUSYBOX],
        { pullImage: false, containerArgs: ['sh', '-c', 'echo started; sleep 8'] },
        { queue },
      );
      await taskIn(url, handle.id, ['STARTED']);
      const target = `${url}/api/tasks/${handle.id}/cancel`;
      const page = await otherOrigin(attackPage(target));

      browser = await launchChromium();
      const tab = await browser.newPage();
      const refused: string[] = [];
      tab.on('response', (response) => {
        if (response.url() === target) refused.push(`${response.request().method()} ${response.status()}`);
      });
      await tab.goto(page);
      // The fetch went out and came back opaque, then the form navigated to the monitor's refusal.
      await tab.waitForURL(target, { timeout: 15_000 });
      expect(refused).toEqual(['POST 403', 'POST 403']);
      expect(await tab.textContent('body')).toContain('cross-origin request refused');

      const done = await taskIn(url, handle.id, ['SUCCESS', 'FAILURE', 'REVOKED'], 60_000);
      expect(done.state).toBe('SUCCESS');
      await expect(handle.get({ timeout: 30_000 })).resolves.toMatchObject({ exitCode: 0 });
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
  });

  it("answers a rebinding Host with 421 and no data, and refuses another origin's WebSocket", async () => {
    const { url } = await monitor();
    const port = new URL(url).port;
    for (const path of ['/api/tasks', '/api/workers', '/', '/api/tasks/x']) {
      const reply = await raw(url, path, { headers: { Host: `evil.example:${port}` } });
      expect(reply.status, path).toBe(421);
      expect(JSON.parse(reply.body)).toEqual({
        error: 'misdirected request: this monitor does not serve that Host (see --allowed-host)',
      });
    }
    expect((await raw(url, '/api/tasks', { headers: { Host: `localhost:${port}` } })).status).toBe(200);
    expect((await raw(url, '/api/tasks', { headers: { Host: `[::1]:${port}` } })).status).toBe(200);

    expect(await tryWebSocket(url, { origin: 'http://evil.example' })).toBe('403');
    expect(await tryWebSocket(url, { origin: `http://127.0.0.1:${Number(port) + 1}` })).toBe('403');
    expect(await tryWebSocket(url, { headers: { Host: `evil.example:${port}` } })).toBe('421');
    expect(await tryWebSocket(url, { origin: url })).toBe('open');
    // Not a browser (no Origin): allowed while login is off, as the existing clients do.
    expect(await tryWebSocket(url)).toBe('open');
  });

  it('refuses writes from a browser without the CSRF token; a malformed escape is a 400', async () => {
    const { url } = await monitor();
    const cancel = '/api/tasks/no-such-id/cancel';
    expect(await raw(url, cancel, { method: 'POST', headers: { Origin: url } })).toMatchObject({
      status: 403,
    });
    const session = (await request(`${url}/api/session`)).body as { csrfToken: string; login: boolean };
    expect(session.login).toBe(false);
    // With the page's token the request goes through (to a 404: no such task).
    expect(
      await raw(url, cancel, { method: 'POST', headers: { Origin: url, 'X-CSRF-Token': session.csrfToken } }),
    ).toMatchObject({ status: 404 });
    expect(
      await raw(url, cancel, { method: 'POST', headers: { 'Sec-Fetch-Site': 'cross-site' } }),
    ).toMatchObject({
      status: 403,
    });
    const bad = await raw(url, '/api/tasks/%E0%A4%A');
    expect({ status: bad.status, body: JSON.parse(bad.body) as unknown }).toEqual({
      status: 400,
      body: { error: 'malformed %-escape in the path' },
    });
  });

  it('closes idle and slow connections after the timeouts', async () => {
    const { url } = await monitor({ timeouts: { headersMs: 500, requestMs: 1000, keepAliveMs: 300 } });
    const closedAfter = (send?: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const socket = connect(Number(new URL(url).port), '127.0.0.1', () => {
          if (send) socket.write(send);
        });
        socket.resume();
        socket.on('close', () => resolve(Date.now() - started));
        socket.on('error', reject);
        setTimeout(() => reject(new Error('not closed within 10 s')), 10_000).unref();
      });
    // Nothing sent at all; headers trickled and never finished; a keep-alive connection left idle.
    expect(await closedAfter()).toBeLessThan(3_000);
    expect(await closedAfter('GET /api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n')).toBeLessThan(3_000);
    const host = new URL(url).host;
    expect(await closedAfter(`GET /api/workers HTTP/1.1\r\nHost: ${host}\r\n\r\n`)).toBeLessThan(3_000);
  });

  it('refuses to listen beyond loopback without credentials, in one line that says how', async () => {
    await expect(monitor({ host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'ERR_MONITOR_AUTH',
      message: expect.stringMatching(
        /^The monitor would listen on 0\.0\.0\.0 with no login: .*--auth-file FILE/,
      ),
    });
    const child = spawn(
      process.execPath,
      [BIN, 'monitor', '--host', '0.0.0.0', '--port', '0', '--broker', BROKER],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1);
    expect(stderr).toMatch(/^longshore monitor: The monitor would listen on 0\.0\.0\.0 with no login/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    // With credentials it does.
    const open = await monitor({ host: '0.0.0.0', auth: { file: await authFile() } });
    expect(open.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
  });
});

describe('the monitor with a login', () => {
  it('wants a bearer token on the API and WebSocket: none or a wrong one is 401, the right one 200', async () => {
    const { url } = await monitor({ auth: { file: await authFile() } });
    const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });
    for (const path of ['/api/tasks', '/api/workers', '/api/tasks/x', '/api/session']) {
      expect(await request(`${url}${path}`), path).toMatchObject({
        status: 401,
        body: { error: 'login required' },
      });
      expect(await request(`${url}${path}`, bearer('wrong-token')), path).toMatchObject({
        status: 401,
        body: { error: 'bad token' },
      });
    }
    expect(await request(`${url}/api/tasks`, bearer(TOKEN))).toMatchObject({
      status: 200,
      body: { tasks: [] },
    });
    // A token's client is not a browser: its writes need neither Origin nor CSRF token.
    expect(
      await request(`${url}/api/tasks/no-such-id/cancel`, { method: 'POST', ...bearer(TOKEN) }),
    ).toMatchObject({ status: 404 });
    expect(await request(`${url}/api/tasks/no-such-id/cancel`, { method: 'POST' })).toMatchObject({
      status: 401,
    });
    expect(await tryWebSocket(url)).toBe('403');
    expect(await tryWebSocket(url, { headers: { authorization: 'Bearer wrong-token' } })).toBe('403');
    expect(await tryWebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` } })).toBe('open');
    // The page itself sends to the login.
    expect(await raw(url, '/')).toMatchObject({ status: 303, headers: { location: '/login' } });
  });

  it('logs in on the dashboard in Chromium (HttpOnly, SameSite=Strict), shows tasks, cancels with the CSRF token, logs out', async () => {
    const queue = broker.queue('auth-dashboard');
    const hostname = broker.hostname('auth-dashboard');
    const worker = spawnWorker(['--queues', queue, '--concurrency', '2', '--hostname', hostname]);
    try {
      const { url } = await monitor({ auth: { file: await authFile() } });
      await worker.waitFor(/Connected to/);
      browser = await launchChromium();
      const context = await browser.newContext();
      const page = await context.newPage();
      const watch = watchPage(page);
      await page.goto(url);
      await page.waitForSelector(testid('login-form'));
      expect(page.url()).toBe(`${url}/login`);

      // A wrong password: the page says so, and no cookie.
      await page.fill(testid('login-user'), 'alice');
      await page.fill(testid('login-password'), 'wrong');
      await page.click(testid('login-submit'));
      await page.waitForSelector(`${testid('login-error')}:not([hidden])`);
      expect(await context.cookies()).toEqual([]);

      await page.fill(testid('login-user'), 'alice');
      await page.fill(testid('login-password'), PASSWORD);
      await page.click(testid('login-submit'));
      await page.waitForSelector(`${testid('connection')}[data-state="open"]`);
      expect(page.url()).toBe(`${url}/`);
      expect(await page.textContent(testid('user'))).toBe('alice');
      const cookies = await context.cookies();
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatchObject({
        name: 'longshore_session',
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        secure: false,
      });
      expect(cookies[0]!.value).toMatch(/^[\w-]{43}$/);
      expect(cookies[0]!.expires).toBeGreaterThan(Date.now() / 1000);
      // Script cannot read it.
      expect(
        await page.evaluate(
          () => (globalThis as unknown as { document: { cookie: string } }).document.cookie,
        ),
      ).toBe('');

      // The cookie alone does not make a write: no Origin, or no CSRF token, is refused.
      const cookie = `longshore_session=${cookies[0]!.value}`;
      const cancelPath = '/api/tasks/no-such-id/cancel';
      expect(await raw(url, cancelPath, { method: 'POST', headers: { Cookie: cookie } })).toMatchObject({
        status: 403,
      });
      expect(
        await raw(url, cancelPath, { method: 'POST', headers: { Cookie: cookie, Origin: url } }),
      ).toMatchObject({
        status: 403,
      });
      expect(await raw(url, '/api/tasks', { headers: { Cookie: cookie } })).toMatchObject({ status: 200 });

      // A task shows up, and is cancelled from the page.
      configure({ broker: BROKER });
      const handle = dockerRun.applyAsync(
        [BUSYBOX],
        {
          pullImage: false,
          containerArgs: ['sh', '-c', 'trap "exit 143" TERM; echo waiting; sleep 120 & wait'],
        },
        { queue },
      );
      const row = page.locator(`${testid('task-row')}[data-task-id="${handle.id}"]`);
      await row.waitFor({ timeout: 30_000 });
      await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('STARTED');
      await row.locator('a').click();
      await expect.poll(() => page.textContent(testid('task-log')), { timeout: 15_000 }).toContain('waiting');
      const cancelRequest = page.waitForRequest((r) => r.url().endsWith(`/api/tasks/${handle.id}/cancel`));
      await page.click(testid('cancel'));
      expect((await cancelRequest).headers()['x-csrf-token']).toMatch(/^[\w-]{43}$/);
      await expect
        .poll(() => page.getAttribute(testid('task-state'), 'data-state'), { timeout: 30_000 })
        .toBe('REVOKED');
      await expect(handle.get({ timeout: 30_000 })).rejects.toThrow();

      // Logging out ends the session on the server, not only in the browser.
      await page.click(testid('logout'));
      await page.waitForSelector(testid('login-form'));
      expect(await raw(url, '/api/tasks', { headers: { Cookie: cookie } })).toMatchObject({ status: 401 });
      expect(watch.errors).toEqual([]);
      await until('no session cookie', async () =>
        (await context.cookies()).length === 0 ? true : undefined,
      );
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
  });
});
