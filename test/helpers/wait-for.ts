// Waiting for a condition instead of sleeping for a while: a fixed sleep is too short on a loaded
// machine and too long on an idle one. No engine or broker here, so unit tests may use it too.

export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Ask again after this long (default 20 ms). */
  intervalMs?: number;
  /** What is awaited, for the error when it never comes (default: the condition's source). */
  what?: string;
}

/**
 * Resolves with the condition's first truthy answer, asking at once and then every `intervalMs`;
 * rejects when `timeoutMs` passed without one. An error thrown by the condition is thrown here.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 20, what }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() >= deadline) {
      throw new Error(`waited ${timeoutMs} ms in vain for ${what ?? condition.toString()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
