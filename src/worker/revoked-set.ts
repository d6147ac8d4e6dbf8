import { getConfiguration } from '../config/configuration.js';

/**
 * The ids of revoked tasks, kept in memory as Celery's worker does (a `LimitedSet`: at most
 * 50 000 ids, each for 3 hours; env CELERY_WORKER_REVOKES_MAX / CELERY_WORKER_REVOKE_EXPIRES).
 * A task received later with one of these ids is not run: it is reported REVOKED.
 */
export class RevokedSet {
  readonly #ids = new Map<string, number>();
  readonly #maxSize: number;
  readonly #expiresMs: number;

  constructor(options: { maxSize?: number; expiresSeconds?: number } = {}) {
    const defaults = getConfiguration().revokes;
    this.#maxSize = options.maxSize ?? defaults.max;
    this.#expiresMs = (options.expiresSeconds ?? defaults.expiresSeconds) * 1000;
  }

  add(id: string, now = Date.now()): void {
    this.#ids.delete(id);
    this.#ids.set(id, now);
    this.#purge(now);
  }

  has(id: string, now = Date.now()): boolean {
    const at = this.#ids.get(id);
    if (at === undefined) return false;
    if (now - at > this.#expiresMs) {
      this.#ids.delete(id);
      return false;
    }
    return true;
  }

  /** The ids, oldest first (for `inspect().revoked()`). */
  ids(now = Date.now()): string[] {
    this.#purge(now);
    return [...this.#ids.keys()];
  }

  /** id → when it was revoked, in epoch seconds (Celery's `hello` / mingle form). */
  entries(now = Date.now()): Record<string, number> {
    this.#purge(now);
    return Object.fromEntries([...this.#ids].map(([id, at]) => [id, at / 1000]));
  }

  get size(): number {
    return this.#ids.size;
  }

  #purge(now: number): void {
    for (const [id, at] of this.#ids) {
      if (this.#ids.size <= this.#maxSize && now - at <= this.#expiresMs) break;
      this.#ids.delete(id);
    }
  }
}
