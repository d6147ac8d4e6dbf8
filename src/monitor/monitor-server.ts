import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';
import { messageOf } from '../core/errors.js';
import { isStateChanging, type AccessControl, type Principal } from './auth/access-control.js';
import { isOwnOrigin, type HostAllowList } from './auth/host-allow-list.js';
import { HttpError, redirect, send, sendJson } from './http-reply.js';
import type { LiveUpdates } from './live-updates.js';
import type { TaskFilter } from './task-store.js';
import {
  TASK_STATES,
  isTaskState,
  type TaskRecord,
  type TaskWithLog,
  type WorkerRecord,
} from './task-record.js';

export const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

/** What the HTTP API reads and does; the monitor provides it. */
export interface MonitorApi {
  listTasks(filter: TaskFilter): TaskRecord[];
  getTask(id: string): TaskWithLog | undefined;
  /** Celery's revoke with terminate. */
  cancel(id: string): Promise<void>;
  workers(): WorkerRecord[];
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The dashboard's files: src/monitor/web/ next to this file, or, from a build (dist/monitor/),
 * the package's src/monitor/web/.
 */
const WEB_DIRS = [
  fileURLToPath(new URL('./web/', import.meta.url)),
  fileURLToPath(new URL('../../src/monitor/web/', import.meta.url)),
];

const PLACEHOLDER = `<!doctype html>
<html><head><meta charset="utf-8"><title>longshore monitor</title></head>
<body><h1>longshore monitor</h1>
<p>The dashboard is not installed. The API: <a href="/api/tasks">/api/tasks</a>,
<a href="/api/workers">/api/workers</a>, live updates on the WebSocket <code>/ws</code>.</p>
</body></html>
`;

/** How long a connection may be slow or idle before it is closed. */
export interface ServerTimeouts {
  /** To receive a request's headers (default 10 s): a client that trickles them is dropped. */
  headersMs?: number;
  /** To receive a whole request (default 30 s). */
  requestMs?: number;
  /** An idle keep-alive connection between requests (default 5 s). */
  keepAliveMs?: number;
  /** A socket with no traffic at all (default 60 s). */
  idleMs?: number;
  /** WebSocket pings (default 30 s); a client that has not answered the last one by the next is dropped. */
  pingMs?: number;
}

export const DEFAULT_TIMEOUTS: Required<ServerTimeouts> = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
  idleMs: 60_000,
  pingMs: 30_000,
};

/** Who may use the server, and by which names. */
export interface ServerSecurity {
  access: AccessControl;
  hosts: HostAllowList;
  timeouts?: ServerTimeouts;
}

/** The login form's body is a user name and a password: anything longer is not one. */
const MAX_FORM_BYTES = 16 * 1024;

/** The monitor's HTTP server: the JSON API, the dashboard's files, and `/ws` upgrades. */
export function createMonitorServer(api: MonitorApi, live: LiveUpdates, security: ServerSecurity): Server {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...security.timeouts };
  const requestMs = timeouts.requestMs;
  // Node refuses a headers timeout longer than the request's.
  const headersMs = Math.min(timeouts.headersMs, requestMs);
  const server = createServer(
    {
      headersTimeout: headersMs,
      requestTimeout: requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      // How often Node looks for connections past those timeouts (its default, 30 s, would
      // let a short timeout run much longer).
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersMs / 4))),
    },
    (request, response) => {
      handle(api, security, request, response).catch((error: unknown) => {
        // Whatever body was not read is drained, so that a keep-alive connection stays usable.
        request.resume();
        const status = error instanceof HttpError ? error.status : 500;
        const headers = error instanceof HttpError ? error.headers : {};
        sendJson(response, status, { error: messageOf(error) }, headers);
      });
    },
  );
  server.setTimeout(timeouts.idleMs);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = upgradeRefusal(request, security);
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    live.upgrade(request, socket, head);
  });
  return server;
}

/**
 * Why a WebSocket upgrade is refused, as a status line, or undefined: an unknown Host (421),
 * another page's Origin, or no credentials when login is on (403).
 */
function upgradeRefusal(request: IncomingMessage, security: ServerSecurity): string | undefined {
  if (!security.hosts.allows(request.headers.host)) return '421 Misdirected Request';
  const origin = request.headers.origin;
  if (origin !== undefined && !isOwnOrigin(origin, request.headers.host)) return '403 Forbidden';
  let principal: Principal | undefined;
  try {
    principal = security.access.identify(request);
  } catch {
    return '403 Forbidden';
  }
  if (!principal) return '403 Forbidden';
  // A cookie rides along with any page's request: only the monitor's own page may use it.
  if (principal.kind === 'session' && origin === undefined) return '403 Forbidden';
  return undefined;
}

async function handle(
  api: MonitorApi,
  security: ServerSecurity,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { access, hosts } = security;
  // A name this monitor does not serve (DNS rebinding): nothing is read or said.
  if (!hosts.allows(request.headers.host)) {
    throw new HttpError(
      421,
      'misdirected request: this monitor does not serve that Host (see --allowed-host)',
    );
  }
  const url = new URL(request.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter((p) => p !== '');
  const method = request.method ?? 'GET';
  const isLoginForm = method === 'POST' && url.pathname === '/login';
  // Bodies are never read but the login form's; drain them so that keep-alive connections stay usable.
  if (!isLoginForm) request.resume();

  const principal = access.identify(request);
  if (isStateChanging(method)) access.checkWrite(request, principal);

  if (url.pathname === '/login') {
    allow(method, 'GET', 'HEAD', 'POST');
    await loginPage(security, request, response, principal, method);
    return;
  }
  if (url.pathname === '/logout') {
    allow(method, 'POST');
    sendJson(response, 200, { ok: true }, { 'Set-Cookie': access.logout(principal) });
    return;
  }

  if (parts[0] === 'api') {
    const who = access.require(principal);
    const [, resource, rawId, action] = parts;
    const id = rawId === undefined ? undefined : decodePart(rawId);
    if (resource === 'session' && parts.length === 2) {
      allow(method, 'GET');
      sendJson(response, 200, {
        login: access.loginRequired,
        user: access.userOf(who),
        csrfToken: access.csrfTokenOf(who),
      });
      return;
    }
    if (resource === 'tasks' && id === undefined && parts.length === 2) {
      allow(method, 'GET');
      sendJson(response, 200, { tasks: api.listTasks(taskFilter(url.searchParams)) });
      return;
    }
    if (resource === 'tasks' && id !== undefined && parts.length === 3) {
      allow(method, 'GET');
      sendJson(response, 200, knownTask(api, id));
      return;
    }
    if (resource === 'tasks' && id !== undefined && action === 'cancel' && parts.length === 4) {
      allow(method, 'POST');
      knownTask(api, id);
      await api.cancel(id);
      sendJson(response, 200, { ok: true });
      return;
    }
    if (resource === 'workers' && parts.length === 2) {
      allow(method, 'GET');
      sendJson(response, 200, { workers: api.workers() });
      return;
    }
    throw new HttpError(404, `no route ${method} ${url.pathname}`);
  }

  allow(method, 'GET', 'HEAD');
  const name = parts.length === 0 ? 'index.html' : parts.join('/');
  // The page itself holds no data, but without a login it could only show errors: to the login.
  if (name === 'index.html' && !principal) {
    redirect(response, '/login');
    return;
  }
  await sendStatic(response, name, method === 'HEAD');
}

/** `GET /login`: the form; `POST /login`: checks it, and on success sets the session cookie. */
async function loginPage(
  security: ServerSecurity,
  request: IncomingMessage,
  response: ServerResponse,
  principal: Principal | undefined,
  method: string,
): Promise<void> {
  const { access } = security;
  if (!access.loginRequired || (method !== 'POST' && principal)) {
    request.resume();
    redirect(response, '/');
    return;
  }
  if (method !== 'POST') {
    await sendStatic(response, 'login.html', method === 'HEAD');
    return;
  }
  const form = await readForm(request);
  const cookie = await access.login(form.get('user')?.trim() ?? '', form.get('password') ?? '');
  if (cookie) {
    redirect(response, '/', { 'Set-Cookie': cookie });
    return;
  }
  const page = (await readWebFile('login.html'))?.toString('utf8') ?? '';
  // The page's error line, shown (no script needed).
  const body = Buffer.from(
    page.replace('data-testid="login-error" hidden', 'data-testid="login-error"'),
    'utf8',
  );
  send(response, 401, CONTENT_TYPES['.html']!, body, body.length);
}

/** An `application/x-www-form-urlencoded` body, bounded. */
async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'expected a form (application/x-www-form-urlencoded)');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new HttpError(413, 'the form is too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** One path segment, unescaped: a malformed escape is the client's mistake (400). */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch (error) {
    throw new HttpError(400, 'malformed %-escape in the path', {}, error);
  }
}

function knownTask(api: MonitorApi, id: string): TaskWithLog {
  const task = api.getTask(id);
  if (!task) throw new HttpError(404, `no task ${id}`);
  return task;
}

function allow(method: string, ...methods: string[]): void {
  if (!methods.includes(method)) throw new HttpError(405, `method ${method} not allowed here`);
}

/** `?user=U&group=G&state=S&limit=N`, checked: a bad value is a 400 that says what was expected. */
function taskFilter(params: URLSearchParams): TaskFilter {
  const known = new Set(['user', 'group', 'state', 'limit']);
  for (const key of params.keys()) {
    if (!known.has(key))
      throw new HttpError(400, `unknown parameter '${key}' (expected user, group, state, limit)`);
  }
  const filter: TaskFilter = { limit: DEFAULT_LIMIT };
  const limit = params.get('limit');
  if (limit !== null) {
    if (!/^[1-9]\d*$/.test(limit) || Number(limit) > MAX_LIMIT) {
      throw new HttpError(400, `bad limit '${limit}': expected an integer from 1 to ${MAX_LIMIT}`);
    }
    filter.limit = Number(limit);
  }
  const state = params.get('state');
  if (state !== null) {
    const upper = state.toUpperCase();
    if (!isTaskState(upper)) {
      throw new HttpError(400, `bad state '${state}': expected one of ${TASK_STATES.join(', ')}`);
    }
    filter.state = upper;
  }
  const user = params.get('user');
  if (user !== null && user !== '') filter.user = user;
  const group = params.get('group');
  if (group !== null && group !== '') filter.group = group;
  return filter;
}

async function sendStatic(response: ServerResponse, name: string, headOnly: boolean): Promise<void> {
  const found = await readWebFile(name);
  if (found) {
    const type = CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
    send(response, 200, type, headOnly ? undefined : found, found.length);
    return;
  }
  if (path.posix.normalize(name) === 'index.html') {
    const body = Buffer.from(PLACEHOLDER, 'utf8');
    send(response, 200, CONTENT_TYPES['.html']!, headOnly ? undefined : body, body.length);
    return;
  }
  throw new HttpError(404, `no file /${name}`);
}

/** A file of the dashboard's, or undefined when there is none by that name (or it would leave web/). */
async function readWebFile(name: string): Promise<Buffer | undefined> {
  const relative = path.posix.normalize(name);
  if (relative.startsWith('..') || path.posix.isAbsolute(relative) || relative.includes('\0')) {
    return undefined;
  }
  for (const dir of WEB_DIRS) {
    const file = path.join(dir, relative);
    if (!file.startsWith(dir)) continue;
    try {
      return await readFile(file);
    } catch {
      continue;
    }
  }
  return undefined;
}
