/** Exponential backoff with jitter, and a sleep that an AbortSignal cuts short. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
}

/** The delay before attempt `attempt + 1` (attempt counts from 1): initial × factor^(n−1), capped, ±20 %. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 200;
  const max = options.maxMs ?? 30_000;
  const factor = options.factor ?? 2;
  const base = Math.min(max, initial * factor ** Math.max(0, attempt - 1));
  const jittered = base * (0.8 + Math.random() * 0.4);
  return Math.round(Math.min(max, jittered));
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal, options: { unref?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (options.unref) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}
