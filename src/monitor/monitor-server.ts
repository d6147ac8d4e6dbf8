import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { messageOf } from '../core/errors.js';
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

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The monitor's HTTP server: the JSON API, the dashboard's files, and `/ws` upgrades. */
export function createMonitorServer(api: MonitorApi, live: LiveUpdates): Server {
  const server = createServer((request, response) => {
    handle(api, request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      sendJson(response, status, { error: messageOf(error) });
    });
  });
  server.on('upgrade', (request, socket, head) => live.upgrade(request, socket, head));
  return server;
}

async function handle(api: MonitorApi, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter((p) => p !== '');
  const method = request.method ?? 'GET';
  // Bodies are never read; drain them so that keep-alive connections stay usable.
  request.resume();

  if (parts[0] === 'api') {
    const [, resource, rawId, action] = parts;
    const id = rawId === undefined ? undefined : decodeURIComponent(rawId);
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
  await sendStatic(response, parts.length === 0 ? 'index.html' : parts.join('/'), method === 'HEAD');
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
  const relative = path.posix.normalize(name);
  if (relative.startsWith('..') || path.posix.isAbsolute(relative) || relative.includes('\0')) {
    throw new HttpError(404, `no file /${name}`);
  }
  for (const dir of WEB_DIRS) {
    const file = path.join(dir, relative);
    if (!file.startsWith(dir)) continue;
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      continue;
    }
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    send(response, 200, type, headOnly ? undefined : body, body.length);
    return;
  }
  if (relative === 'index.html') {
    const body = Buffer.from(PLACEHOLDER, 'utf8');
    send(response, 200, CONTENT_TYPES['.html']!, headOnly ? undefined : body, body.length);
    return;
  }
  throw new HttpError(404, `no file /${name}`);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  send(response, status, 'application/json; charset=utf-8', body, body.length);
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: Buffer | undefined,
  length: number,
): void {
  response.writeHead(status, {
    'Content-Type': type,
    'Content-Length': length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(body);
}
