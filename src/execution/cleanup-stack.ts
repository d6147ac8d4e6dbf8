import { messageOf } from '../core/errors.js';

type Cleanup = () => unknown;

/**
 * Each resource registers its cleanup the moment it exists; the task's end runs every step in
 * reverse order. A failing step never stops the others, and the errors are returned so that
 * the caller can decide whether they matter (they never replace a task's own error).
 */
export class CleanupStack {
  readonly #steps: { name: string; run: Cleanup }[] = [];
  #disposed = false;

  defer(name: string, run: Cleanup): void {
    if (this.#disposed) {
      // A resource created after the end (a late FIFO open, say) is released at once.
      void Promise.resolve()
        .then(run)
        .catch(() => undefined);
      return;
    }
    this.#steps.push({ name, run });
  }

  get size(): number {
    return this.#steps.length;
  }

  /** Runs every step once, newest first. Idempotent: a second call returns no errors. */
  async dispose(): Promise<Error[]> {
    this.#disposed = true;
    const errors: Error[] = [];
    while (this.#steps.length > 0) {
      const step = this.#steps.pop()!;
      try {
        await step.run();
      } catch (error) {
        errors.push(new Error(`${step.name}: ${messageOf(error)}`, { cause: error }));
      }
    }
    return errors;
  }
}
