// One request, as Girder's CherryPy tree handles it: parameters from the query and a form body (a
// name given twice is refused), routing, injected faults, the route's access decorator, the handler,
// and errors turned into Girder's bodies. Every request is recorded; an unread body is drained.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentUser, requireAdmin, requireToken, requireUser } from './auth.js';
import { drainRequestBody, readRequestBody } from './body.js';
import { RequestContext, type ServerState } from './context.js';
import { RestError, errorAnswer, noMatchingRoute } from './errors.js';
import { type Faults, faultBody } from './faults.js';
import { toGirderJson } from './girder-json.js';
import { JsonReply, type Router, StreamReply } from './router.js';
import type { RecordedRequest } from './server-api.js';

export const API_PREFIX = '/api/v1';
/** CherryPy reads form bodies into the parameters for these methods (Girder does it for DELETE too). */
const FORM_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface Dispatch {
  readonly state: ServerState;
  readonly router: Router;
  readonly faults: Faults;
  readonly requests: RecordedRequest[];
}

/** CherryPy's page for a path it cannot dispatch (an unknown resource, or outside /api/v1). */
function notFoundPage(path: string): string {
  const escaped = path
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&#39;');
  return `<!DOCTYPE html>\n<html>\n<head><title>404 Not Found</title></head>\n<body>\n<h2>404 Not Found</h2>\n<p>The path '${escaped}' was not found.</p>\n</body>\n</html>\n`;
}

export async function handleRequest(d: Dispatch, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://girder.invalid');
  const inApi = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
  const path = inApi ? url.pathname.slice(API_PREFIX.length) || '/' : url.pathname;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const record: RecordedRequest = {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    path,
    query,
    headers: { ...req.headers },
    bodySize: 0,
    status: 0,
    remotePort: req.socket.remotePort,
    at: performance.timeOrigin + performance.now(),
  };
  d.requests.push(record);
  res.once('close', () => {
    record.finishedAt = performance.timeOrigin + performance.now();
  });

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
  const ctx = new RequestContext(d.state, req, res, method, segments, params);
  const settle = () => {
    record.status = res.headersSent ? res.statusCode : record.status;
    record.bodySize = ctx.bodyBytes;
  };
  res.on('finish', settle);
  res.on('close', settle);
  req.on('end', settle);

  try {
    if (!inApi) {
      send(ctx, 404, notFoundPage(url.pathname), 'text/html;charset=utf-8');
      return;
    }
    const addParam = (name: string, value: string) => {
      if (params.has(name)) throw new RestError(`Parameter "${name}" must not be specified multiple times.`);
      params.set(name, value);
    };
    for (const [k, v] of url.searchParams) addParam(k, v);
    const contentType = (ctx.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (FORM_METHODS.has(method) && contentType === 'application/x-www-form-urlencoded') {
      for (const [k, v] of new URLSearchParams((await readRequestBody(ctx)).toString('utf8'))) addParam(k, v);
    }

    const match = d.router.match(method, segments);
    const delay = d.faults.takeDelay(record.method, path);
    if (delay !== undefined) await sleep(delay);
    const failure = d.faults.takeFailure(record.method, path);
    if (failure !== undefined) {
      send(ctx, failure, toGirderJson(faultBody(failure, ctx.requestUid)), 'application/json');
      return;
    }
    if (match.kind === 'noResource') {
      send(ctx, 404, notFoundPage(url.pathname), 'text/html;charset=utf-8');
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
    else if (result instanceof JsonReply) sendJson(ctx, 200, result.value, result.headers);
    else sendJson(ctx, 200, result);
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
    } else {
      // Like _handleAccessException, which asks getCurrentUser() (with the route's scopes) afresh.
      const answer = errorAnswer(err, currentUser(ctx) !== null, ctx.requestUid);
      if (answer.status === 500) console.error('girder test server: unexpected error', err);
      sendJson(ctx, answer.status, answer.body);
    }
  } finally {
    drainRequestBody(ctx);
  }
}

function sendJson(
  ctx: RequestContext,
  status: number,
  value: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  for (const [k, v] of Object.entries(headers)) ctx.res.setHeader(k, v);
  send(ctx, status, toGirderJson(value), 'application/json');
}

function send(ctx: RequestContext, status: number, body: string, contentType: string): void {
  const { res } = ctx;
  const bytes = Buffer.from(body, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(bytes.length));
  res.setHeader('Girder-Request-Uid', ctx.requestUid);
  res.end(bytes);
}
