import { TaskCancelledError } from '../../core/errors.js';
import type { Reporter } from '../../execution/reporter.js';
import { TASK_STATES, type TaskState } from '../../execution/task-state.js';
import { fromWireException } from '../protocol/exception-info.js';
import { reviveKombuJson } from '../protocol/kombu-json.js';
import type { ParsedResultMeta } from '../protocol/result-message.js';

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  reporter: Reporter;
}

/** Results that arrive before anyone waits for them (rpc:// delivers each once). */
const MAX_EARLY = 1000;

/**
 * The client's side of the rpc:// backend: the tasks it waits for, and what each result message
 * means for them. SUCCESS resolves; FAILURE rejects with a RemoteTaskError (excType, excModule,
 * excMessage, traceback); REVOKED rejects with a TaskCancelledError whose cause is that error;
 * other states (STARTED, RETRY) only update the handle's status.
 */
export class ResultWaiters {
  readonly #waiting = new Map<string, Waiter>();
  readonly #early = new Map<string, ParsedResultMeta[]>();

  get size(): number {
    return this.#waiting.size;
  }

  /** Starts waiting for `taskId` (before its message is sent, so that no result is missed). */
  wait(taskId: string, reporter: Reporter): { promise: Promise<unknown>; cancel(): void } {
    let waiter!: Waiter;
    const promise = new Promise<unknown>((resolve, reject) => {
      waiter = { resolve, reject, reporter };
    });
    // Rejected by rejectAll() while the message is still being sent: not an unhandled rejection.
    promise.catch(() => undefined);
    this.#waiting.set(taskId, waiter);
    const early = this.#early.get(taskId);
    if (early) {
      this.#early.delete(taskId);
      for (const meta of early) this.deliver(meta);
    }
    return { promise, cancel: () => this.#waiting.delete(taskId) };
  }

  deliver(meta: ParsedResultMeta): void {
    const waiter = this.#waiting.get(meta.task_id);
    if (!waiter) {
      this.#keepEarly(meta);
      return;
    }
    switch (meta.status) {
      case 'SUCCESS':
        this.#waiting.delete(meta.task_id);
        waiter.resolve(reviveKombuJson(meta.result ?? null));
        return;
      case 'FAILURE':
        this.#waiting.delete(meta.task_id);
        waiter.reject(fromWireException(meta.task_id, meta.result, meta.traceback));
        return;
      case 'REVOKED': {
        this.#waiting.delete(meta.task_id);
        const remote = fromWireException(meta.task_id, meta.result, meta.traceback);
        waiter.reject(
          new TaskCancelledError(
            `The task was revoked${remote.excMessage ? ` (${remote.excMessage})` : ''}`,
            {
              cause: remote,
            },
          ),
        );
        return;
      }
      default:
        if ((TASK_STATES as readonly string[]).includes(meta.status))
          waiter.reporter.status(meta.status as TaskState);
    }
  }

  /** Every waiter fails with `error` (the client closed, or the broker is gone for good). */
  rejectAll(error: unknown): void {
    const waiters = [...this.#waiting.values()];
    this.#waiting.clear();
    this.#early.clear();
    for (const waiter of waiters) waiter.reject(error);
  }

  #keepEarly(meta: ParsedResultMeta): void {
    const list = this.#early.get(meta.task_id) ?? [];
    list.push(meta);
    this.#early.set(meta.task_id, list);
    if (this.#early.size > MAX_EARLY) {
      const oldest = this.#early.keys().next().value;
      if (oldest !== undefined) this.#early.delete(oldest);
    }
  }
}
