/**
 * Celery's logical clock (kombu's `LamportClock`): one per worker, shared by its events and its
 * remote-control replies. Every message sent carries `forward()`; every one received with a
 * clock moves ours past it (`adjust`), so that monitors can order what several nodes say.
 */
export class LamportClock {
  #value = 0;

  get value(): number {
    return this.#value;
  }

  /** The next value, for a message about to be sent. */
  forward(): number {
    this.#value += 1;
    return this.#value;
  }

  /** Moves past a value received from another node (ignored when it is not a number). */
  adjust(other: unknown): number {
    const received = typeof other === 'number' && Number.isFinite(other) ? Math.trunc(other) : 0;
    this.#value = Math.max(this.#value, received) + 1;
    return this.#value;
  }
}
