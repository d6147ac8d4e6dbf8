import { createHash, randomBytes } from 'node:crypto';

/** Default life of a dashboard login. */
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Beyond this many live sessions the oldest go: logins cannot grow the map without bound. */
const MAX_SESSIONS = 10_000;

export interface Session {
  readonly user: string;
  /** Sent by the page in `X-CSRF-Token` with each state-changing request. */
  readonly csrfToken: string;
  readonly expires: number;
}

/**
 * The dashboard's logins, kept in memory only (a restart logs everyone out). Session ids are
 * 32 random bytes; the map is keyed by their SHA-256, so that neither a lookup's timing nor a
 * heap dump gives a usable id away.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs = DEFAULT_SESSION_TTL_MS, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** A new session for `user`: its id (for the cookie) and the session. */
  create(user: string): { id: string; session: Session } {
    this.#prune();
    const id = randomBytes(32).toString('base64url');
    const session = {
      user,
      csrfToken: randomBytes(32).toString('base64url'),
      expires: this.#now() + this.#ttlMs,
    };
    this.#sessions.set(key(id), session);
    return { id, session };
  }

  /** The live session with this id, or undefined (unknown or expired). */
  get(id: string): Session | undefined {
    const k = key(id);
    const session = this.#sessions.get(k);
    if (!session) return undefined;
    if (session.expires <= this.#now()) {
      this.#sessions.delete(k);
      return undefined;
    }
    return session;
  }

  delete(id: string): void {
    this.#sessions.delete(key(id));
  }

  get size(): number {
    return this.#sessions.size;
  }

  #prune(): void {
    const now = this.#now();
    for (const [k, session] of this.#sessions) if (session.expires <= now) this.#sessions.delete(k);
    // Insertion order is creation order: the first are the oldest.
    for (const k of this.#sessions.keys()) {
      if (this.#sessions.size < MAX_SESSIONS) break;
      this.#sessions.delete(k);
    }
  }
}

function key(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('base64url');
}
