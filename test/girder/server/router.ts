// Girder's routing (girder/api/rest.py Resource): a resource name, then a route of literal and
// ':wildcard' segments per HTTP method. A path under a known resource that no route matches is a 400
// 'No matching route for "METHOD path"'; an unknown resource is CherryPy's 404.
import type { RequestContext } from './context.js';

/** The access decorator of a route (girder/api/access.py) and the token scope it declares. */
export type Access =
  | { kind: 'public'; scope?: string }
  | { kind: 'user'; scope?: string }
  | { kind: 'admin'; scope?: string }
  /** access.token; `required` also demands the scope of the token itself. */
  | { kind: 'token'; scope?: string; required?: boolean };

/** Returns the answer's body, or a promise of it. */
export type Handler = (ctx: RequestContext, args: Readonly<Record<string, string>>) => unknown;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** e.g. 'file/:id/download'; the first segment is the resource. */
  path: string;
  access: Access;
  handler: Handler;
}

/** A JSON answer with extra headers (e.g. Girder-Total-Count for cursor results). */
export class JsonReply {
  constructor(
    readonly value: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** An answer the handler writes itself (file downloads). */
export class StreamReply {
  constructor(readonly send: () => Promise<void>) {}
}

/** Resources of a Girder 3 server with the jobs and worker plugins: paths under them get Girder's 400. */
const GIRDER_RESOURCES = new Set([
  'api_key',
  'assetstore',
  'collection',
  'describe',
  'file',
  'folder',
  'group',
  'item',
  'job',
  'notification',
  'resource',
  'system',
  'token',
  'user',
  'worker',
]);

export type Match =
  | { kind: 'route'; route: Route; args: Record<string, string> }
  | { kind: 'noRoute' }
  | { kind: 'noResource' };

export class Router {
  readonly #routes: { route: Route; pattern: string[] }[] = [];

  add(...routes: Route[]): void {
    for (const route of routes) this.#routes.push({ route, pattern: route.path.split('/') });
  }

  match(method: string, segments: readonly string[]): Match {
    const resource = segments[0];
    if (resource === undefined || !GIRDER_RESOURCES.has(resource)) return { kind: 'noResource' };
    let best: { route: Route; pattern: string[]; args: Record<string, string> } | undefined;
    for (const { route, pattern } of this.#routes) {
      if (route.method !== method || pattern.length !== segments.length) continue;
      const args: Record<string, string> = {};
      const fits = pattern.every((part, i) => {
        const segment = segments[i] ?? '';
        if (part.startsWith(':')) {
          args[part.slice(1)] = segment;
          return true;
        }
        return part === segment;
      });
      // Girder orders routes so that a literal segment wins over a wildcard in the same place.
      if (fits && (!best || moreLiteral(pattern, best.pattern))) best = { route, pattern, args };
    }
    return best ? { kind: 'route', route: best.route, args: best.args } : { kind: 'noRoute' };
  }
}

function moreLiteral(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const aWild = a[i]?.startsWith(':') ?? false;
    const bWild = b[i]?.startsWith(':') ?? false;
    if (aWild !== bWild) return !aWild;
  }
  return false;
}
