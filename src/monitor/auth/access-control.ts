import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http-reply.js';
import type { Credentials } from './auth-file.js';
import { SESSION_COOKIE, parseCookies, sessionCookie } from './cookies.js';
import { isOwnOrigin } from './host-allow-list.js';
import {
  hashPassword,
  parseScryptHash,
  sameDigest,
  tokenDigest,
  verifyPassword,
  type ScryptHash,
} from './password-hash.js';
import { SessionStore, type Session } from './sessions.js';

/** The header the dashboard sends its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** Who a request comes from. */
export type Principal =
  | { kind: 'anonymous' } // login is off
  | { kind: 'token' }
  | { kind: 'session'; id: string; session: Session };

export interface AccessOptions {
  sessionTtlMs?: number;
  /** Mark the cookie `Secure` (the monitor is served over https, behind a proxy). */
  secureCookie?: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isStateChanging(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

/**
 * Who may do what. Without credentials (loopback only) everyone may read, and writes from a
 * browser need the page's CSRF token; with them, every request needs a bearer token or a
 * session cookie, and a cookie's writes need the session's CSRF token and the monitor's own
 * `Origin`. A bearer token cannot be sent by another site's form or no-cors fetch, so it needs
 * neither.
 */
export class AccessControl {
  readonly #credentials: Credentials | undefined;
  readonly #sessions: SessionStore;
  readonly #secureCookie: boolean;
  /** The page's CSRF token when login is off: readable only by same-origin script. */
  readonly #anonymousCsrf = randomBytes(32).toString('base64url');
  /** Checked against for unknown users, so that a wrong name takes as long as a wrong password. */
  #dummy: Promise<ScryptHash> | undefined;

  constructor(credentials: Credentials | undefined, options: AccessOptions = {}) {
    this.#credentials = credentials;
    this.#sessions = new SessionStore(options.sessionTtlMs);
    this.#secureCookie = options.secureCookie ?? false;
  }

  get loginRequired(): boolean {
    return this.#credentials !== undefined;
  }

  /**
   * The request's principal; undefined when login is on and it has none. A bearer token that
   * is not one of ours is a 401 (a client with a wrong token should hear so, not get the login page).
   */
  identify(request: IncomingMessage): Principal | undefined {
    if (!this.#credentials) return { kind: 'anonymous' };
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) throw unauthorized('expected Authorization: Bearer TOKEN');
      const digest = tokenDigest(match[1]!);
      // Every entry is compared, so that the time taken says nothing about which matched.
      let found = false;
      for (const known of this.#credentials.tokens) found = sameDigest(digest, known) || found;
      if (!found) throw unauthorized('bad token');
      return { kind: 'token' };
    }
    const id = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    return session ? { kind: 'session', id, session } : undefined;
  }

  /** Throws a 401 without a principal. */
  require(principal: Principal | undefined): Principal {
    if (!principal) throw unauthorized('login required');
    return principal;
  }

  /**
   * A state-changing request: refused (403) when another origin sent it, or when it rides on
   * a cookie (or comes from a browser with login off) without the page's CSRF token.
   */
  checkWrite(request: IncomingMessage, principal: Principal | undefined): void {
    const origin = header(request, 'origin');
    const fetchSite = header(request, 'sec-fetch-site');
    if (principal?.kind === 'token') return;
    if (origin !== undefined && !isOwnOrigin(origin, request.headers.host)) {
      throw new HttpError(403, 'cross-origin request refused');
    }
    if (fetchSite === 'cross-site' || fetchSite === 'same-site') {
      throw new HttpError(403, 'cross-origin request refused');
    }
    if (principal === undefined) return; // the login form, or a 401 to come
    if (principal.kind === 'session') {
      if (origin === undefined) throw new HttpError(403, 'no Origin header: refused with a session cookie');
      this.#checkCsrf(request, principal.session.csrfToken);
      return;
    }
    // Login off: browsers send Origin with every POST; other clients (curl, scripts) send none.
    if (origin !== undefined || fetchSite !== undefined) this.#checkCsrf(request, this.#anonymousCsrf);
  }

  /** The CSRF token a page of this principal sends. */
  csrfTokenOf(principal: Principal): string | null {
    if (principal.kind === 'anonymous') return this.#anonymousCsrf;
    return principal.kind === 'session' ? principal.session.csrfToken : null;
  }

  userOf(principal: Principal): string | null {
    return principal.kind === 'session' ? principal.session.user : null;
  }

  /**
   * Checks a login form's fields: a user and password, or no user and a token as the password.
   * Resolves with the Set-Cookie of a new session, or undefined when they are wrong.
   */
  async login(user: string, password: string): Promise<string | undefined> {
    const credentials = this.#credentials;
    if (!credentials) return undefined;
    let name: string | undefined;
    if (user === '') {
      const digest = tokenDigest(password);
      let found = false;
      for (const known of credentials.tokens) found = sameDigest(digest, known) || found;
      if (found) name = 'token';
    } else {
      const hash = credentials.users.get(user);
      this.#dummy ??= hashPassword(randomBytes(16).toString('hex')).then((h) => parseScryptHash(h)!);
      const ok = await verifyPassword(password, hash ?? (await this.#dummy));
      if (ok && hash) name = user;
    }
    if (name === undefined) return undefined;
    const { id } = this.#sessions.create(name);
    return sessionCookie(id, { maxAgeSeconds: this.#sessions.ttlMs / 1000, secure: this.#secureCookie });
  }

  /** Ends the session; the Set-Cookie that clears the cookie. */
  logout(principal: Principal | undefined): string {
    if (principal?.kind === 'session') this.#sessions.delete(principal.id);
    return sessionCookie('', { maxAgeSeconds: 0, secure: this.#secureCookie });
  }

  #checkCsrf(request: IncomingMessage, expected: string): void {
    const sent = header(request, CSRF_HEADER);
    if (sent === undefined || !sameDigest(tokenDigest(sent), tokenDigest(expected))) {
      throw new HttpError(403, `missing or wrong ${CSRF_HEADER} header`);
    }
  }
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, message, { 'WWW-Authenticate': 'Bearer realm="longshore monitor"' });
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
