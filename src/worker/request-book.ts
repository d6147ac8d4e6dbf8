import type { AmqpChannel, DeliveredMessage } from '../celery/amqp/connection.js';
import type { TaskRequest } from '../celery/protocol/parse-task-message.js';
import type { WorkerTask } from '../app/worker-task.js';

/** The delivery a request came in: acked (or given back) on the channel it came on. */
export interface Delivery {
  channel: AmqpChannel;
  message: DeliveredMessage;
}

export type RequestState = 'scheduled' | 'reserved' | 'active';

/** A task the worker holds: waiting for its ETA, waiting for a free slot, or running. */
export interface WorkerRequest {
  readonly request: TaskRequest;
  readonly task: WorkerTask;
  readonly delivery: Delivery;
  /** Aborted to stop the task: revoke with terminate, time limits, worker shutdown. */
  readonly controller: AbortController;
  state: RequestState;
  /** When it started running (ms since the epoch). */
  startedAt?: number;
  /** The ETA timer while scheduled. */
  timer?: NodeJS.Timeout;
  /** Set by a revoke with terminate: the signal asked for. */
  terminated?: { signal: string };
  /** Resolves when the request is finished with (acked, given back or dropped). */
  readonly done: Promise<void>;
  markDone(): void;
}

export function newWorkerRequest(request: TaskRequest, task: WorkerTask, delivery: Delivery): WorkerRequest {
  let markDone!: () => void;
  const done = new Promise<void>((resolve) => {
    markDone = resolve;
  });
  return { request, task, delivery, controller: new AbortController(), state: 'reserved', done, markDone };
}

/**
 * Every request the worker holds, by state: what `inspect().scheduled()`, `.reserved()` and
 * `.active()` list, and where a revoke finds a task to drop or to stop.
 */
export class RequestBook {
  readonly #scheduled = new Set<WorkerRequest>();
  readonly #reserved: WorkerRequest[] = [];
  readonly #active = new Set<WorkerRequest>();

  schedule(entry: WorkerRequest): void {
    entry.state = 'scheduled';
    this.#scheduled.add(entry);
  }

  reserve(entry: WorkerRequest): void {
    this.#scheduled.delete(entry);
    entry.state = 'reserved';
    this.#reserved.push(entry);
  }

  /** The next reserved request to run, now active. */
  startNext(): WorkerRequest | undefined {
    const entry = this.#reserved.shift();
    if (!entry) return undefined;
    entry.state = 'active';
    entry.startedAt = Date.now();
    this.#active.add(entry);
    return entry;
  }

  /** Forgets a request, whatever its state (its timer cleared). */
  remove(entry: WorkerRequest): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    this.#scheduled.delete(entry);
    this.#active.delete(entry);
    const index = this.#reserved.indexOf(entry);
    if (index >= 0) this.#reserved.splice(index, 1);
  }

  find(taskId: string): WorkerRequest[] {
    return [...this.#scheduled, ...this.#reserved, ...this.#active].filter((e) => e.request.id === taskId);
  }

  scheduled(): WorkerRequest[] {
    return [...this.#scheduled];
  }

  reserved(): WorkerRequest[] {
    return [...this.#reserved];
  }

  active(): WorkerRequest[] {
    return [...this.#active];
  }

  /** Requests not running yet (scheduled and reserved). */
  waiting(): WorkerRequest[] {
    return [...this.#scheduled, ...this.#reserved];
  }
}
