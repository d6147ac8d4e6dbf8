// Authentication as girder/api/rest.py and girder/api/access.py do it. A token comes from the
// `token` parameter or the Girder-Token header. It yields a user only if it carries the route's
// required scope (a core.user_auth token carries every scope); a job token (scope jobs.job_<id>)
// has no user at all. Access errors answer 401 when the request ends up without a user, else 403.
import type { RequestContext } from './context.js';
import { AccessError } from './errors.js';
import type { TokenDoc, UserDoc } from './store.js';

export const TokenScope = {
  USER_AUTH: 'core.user_auth',
  DATA_READ: 'core.data.read',
  DATA_WRITE: 'core.data.write',
  DATA_OWN: 'core.data.own',
  /** girder_jobs.constants.REST_CREATE_JOB_TOKEN_SCOPE: what girder_worker's client token carries. */
  CREATE_JOB: 'jobs.rest.create_job',
} as const;

export function jobScope(jobId: string): string {
  return `jobs.job_${jobId}`;
}

export function currentToken(ctx: RequestContext): TokenDoc | null {
  if (ctx.token === undefined) {
    const value = ctx.params.has('token') ? ctx.params.get('token') : ctx.header('girder-token');
    ctx.token = value ? (ctx.server.store.get('token', value) ?? null) : null;
  }
  return ctx.token;
}

/** Token.hasScope: every asked scope must be in the token's list (no core.user_auth shortcut here). */
export function hasScope(token: TokenDoc | null, scope: string | undefined): boolean {
  if (token === null) return false;
  if (scope === undefined) return true;
  return token.scope.includes(scope);
}

/** rest.ensureTokenScopes: a user token passes; otherwise the scope is needed, and the request loses its user. */
export function ensureTokenScopes(ctx: RequestContext, scope: string): void {
  const token = currentToken(ctx);
  if (hasScope(token, TokenScope.USER_AUTH)) return;
  if (!hasScope(token, scope)) {
    ctx.user = null;
    const allowed = token === null ? '' : token.scope.join(' ');
    throw new AccessError(`Invalid token scope.\nRequired: ${scope}.\nAllowed: ${allowed}`);
  }
}

/** rest.getCurrentUser, cached for the request. */
export function currentUser(ctx: RequestContext): UserDoc | null {
  if (ctx.user !== undefined) return ctx.user;
  const token = currentToken(ctx);
  let user: UserDoc | null = null;
  if (token !== null && token.expires.getTime() >= Date.now() && token.userId !== undefined) {
    const scope = ctx.requiredScopes ?? TokenScope.USER_AUTH;
    if (hasScope(token, TokenScope.USER_AUTH) || hasScope(token, scope)) {
      user = ctx.server.store.get('user', token.userId) ?? null;
    }
  }
  ctx.user = user;
  return user;
}

export function requireUser(ctx: RequestContext): UserDoc {
  const user = currentUser(ctx);
  if (!user) throw new AccessError('You must be logged in.');
  return user;
}

export function requireAdmin(ctx: RequestContext): UserDoc {
  const user = currentUser(ctx);
  if (!user || !user.admin) throw new AccessError('Administrator access required.');
  return user;
}

/** access.token: any valid token; with `required`, it must also carry `scope` (Token.requireScope). */
export function requireToken(ctx: RequestContext, requiredScope?: string): TokenDoc {
  const token = currentToken(ctx);
  if (!token) throw new AccessError('You must be logged in or have a valid auth token.');
  if (requiredScope !== undefined && !hasScope(token, requiredScope)) {
    throw new AccessError(`Invalid token scope, required: ${requiredScope}.`);
  }
  return token;
}
