import type { Logger } from '../core/logger.js';
import { TaskCancelledError, messageOf } from '../core/errors.js';
import type { AmqpChannel, DeliveredMessage } from '../celery/amqp/connection.js';
import { MaxRetriesExceededError, TaskNotRegisteredError } from '../celery/errors.js';
import {
  parseTaskMessage,
  type TaskEnvelope,
  type TaskRequest,
} from '../celery/protocol/parse-task-message.js';
import { ProtocolError } from '../core/protocol-error.js';
import type { TaskRegistry } from '../app/task-registry.js';
import { decodeGirderWorkerText } from '../girder-worker/classes/index.js';
import type { RevokedDetails, TaskRef } from '../celery/events/event-sink.js';
import type { OutcomeReporter } from './outcome-reporter.js';
import { newWorkerRequest, type Delivery, type RequestBook, type WorkerRequest } from './request-book.js';
import type { RevokedSet } from './revoked-set.js';
import { TaskOutputBatcher } from './task-output-batcher.js';
import { WorkerShutdownReason } from '../app/worker-task.js';
import { runRequest } from './run-request.js';
import {
  attemptKey,
  attemptKeyOfHeaders,
  decideAfterRun,
  decideArrival,
  decideBeforeRun,
  decideRevoke,
  decideUnreadable,
  DoneOnLostChannel,
  revokedOrExpired,
  type Settlement,
} from './settle-decision.js';

export interface PipelineDeps {
  concurrency: number;
  registry: TaskRegistry;
  book: RequestBook;
  revoked: RevokedSet;
  report: OutcomeReporter;
  /** The number of ETA tasks held changed: widen or narrow the prefetch window. */
  prefetchChanged(): void;
  /** Kills a task's containers at once. */
  kill: (taskId: string) => Promise<void>;
  /** Before a message delivered again runs: clear what a dead worker's attempt left (never throws). */
  redelivered?(request: TaskRequest): Promise<void>;
  logger: Logger;
  /** The worker's policy, handed to each task (docker_run checks messages against it). */
  policy?: unknown;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * What happens to each task message: read and check it (bad messages, unknown tasks, revoked
 * and expired ones end at once, acknowledged, with a result), hold it until its ETA, wait for a
 * free slot, run it, report the outcome through the rpc:// backend, and only then acknowledge
 * it (acks late: a task whose worker dies is delivered again). The decisions are settle-decision.ts's;
 * this carries them out on the broker, the request book and the reporter.
 */
export class TaskPipeline {
  readonly #deps: PipelineDeps;
  #running = 0;
  readonly #settled = new WeakSet<Delivery>();
  readonly #idle = new Set<() => void>();
  /** Tasks finished, by name (for stats). */
  readonly totals = new Map<string, number>();
  /** Task attempts finished while their channel was lost (no ack could be sent). */
  readonly #doneOnLostChannel = new DoneOnLostChannel();

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
  }

  get running(): number {
    return this.#running;
  }

  /** A delivery from a task queue. Never throws: every message ends acknowledged or given back. */
  onDelivery(message: DeliveredMessage, channel: AmqpChannel): void {
    const delivery: Delivery = { channel, message };
    this.#receive(delivery).catch((error: unknown) => {
      this.#deps.logger.error(`Internal error on a message: ${messageOf(error)}`);
      this.#settle(delivery, 'ack');
    });
  }

  async #receive(delivery: Delivery): Promise<void> {
    const parsed = parseTaskMessage(delivery.message, (text) => decodeGirderWorkerText(text));
    if (!parsed.ok) return this.#rejectUnreadable(delivery, parsed.envelope, parsed.error);
    const request = parsed.request;
    // The same message again after a reconnect, while its first delivery still runs here (or
    // after it finished while the connection was down): it runs once; this copy is acknowledged.
    const key = attemptKey(request.id, request.retries);
    const running = this.#deps.book
      .find(request.id)
      .find(
        (e) =>
          e.state === 'active' &&
          e.request.retries === request.retries &&
          e.delivery.channel !== delivery.channel,
      );
    if (running) await running.done;
    const task = this.#deps.registry.get(request.name);
    const decision = decideArrival({
      ranOnOtherChannel: running !== undefined,
      redelivered: delivery.message.redelivered,
      doneOnLostChannel: this.#doneOnLostChannel.has(key),
      registered: task !== undefined,
      revoked: this.#deps.revoked.has(request.id),
      expires: request.expires?.getTime(),
      eta: request.eta?.getTime(),
      now: Date.now(),
    });
    if (decision.kind === 'already-run') {
      this.#doneOnLostChannel.forget(key);
      this.#deps.logger.info(
        { taskId: request.id },
        `Task ${request.name}[${request.id}] delivered again after a reconnect: already run here`,
      );
      this.#settle(delivery, decision.settle);
      return;
    }
    this.#deps.report.received(request);
    // `!task` is the same test as 'not-registered'; it narrows the type.
    if (decision.kind === 'not-registered' || !task) {
      const ref: TaskRef = { id: request.id, name: request.name, request };
      await this.#deps.report.failed(request, ref, new TaskNotRegisteredError(request.name));
      this.#settle(delivery, 'ack');
      return;
    }
    const entry = newWorkerRequest(request, task, delivery);
    if (decision.kind === 'revoked') this.#drop(entry, decision.expired);
    else if (decision.kind === 'schedule') this.#schedule(entry, decision.eta);
    else this.#enqueue(entry);
  }

  #schedule(entry: WorkerRequest, eta: number): void {
    this.#deps.book.schedule(entry);
    this.#deps.prefetchChanged();
    const arm = (): void => {
      const wait = eta - Date.now();
      if (wait > 0) {
        entry.timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
        return;
      }
      entry.timer = undefined;
      this.#deps.book.reserve(entry);
      this.#deps.prefetchChanged();
      this.#pump();
    };
    arm();
  }

  #enqueue(entry: WorkerRequest): void {
    this.#deps.book.reserve(entry);
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#deps.concurrency) {
      const entry = this.#deps.book.startNext();
      if (!entry) return;
      this.#running += 1;
      void this.#execute(entry)
        .catch((error: unknown) => {
          // The result could not be stored: the message stays unacknowledged and comes again.
          this.#deps.logger.error(
            { taskId: entry.request.id },
            `Task ${entry.request.name}[${entry.request.id}] not settled: ${messageOf(error)}`,
          );
        })
        .finally(() => {
          this.#running -= 1;
          this.#deps.book.remove(entry);
          entry.markDone();
          if (this.#running === 0) for (const resolve of this.#idle) resolve();
          this.#pump();
        });
    }
  }

  async #execute(entry: WorkerRequest): Promise<void> {
    const { request } = entry;
    const before = decideBeforeRun({
      revoked: this.#deps.revoked.has(request.id),
      expires: request.expires?.getTime(),
      now: Date.now(),
      redelivered: request.delivery.redelivered,
    });
    if (before.kind === 'revoked') {
      this.#drop(entry, before.expired);
      return;
    }
    if (before.clearLeftovers) await this.#deps.redelivered?.(request);
    const report = this.#deps.report;
    await report.started(request);
    // Progress and output go out as events (for monitors and `longshore submit --wait`), batched.
    const output = new TaskOutputBatcher({
      progress: (progress) => report.progress(request, progress),
      log: (chunk) => report.output(request, chunk),
    });
    const outcome = await runRequest(entry, {
      reporter: output.reporter,
      kill: this.#deps.kill,
      logger: this.#deps.logger.child({ taskId: request.id }),
      policy: this.#deps.policy,
    }).finally(() => output.close());
    const runtime = (Date.now() - (entry.startedAt ?? Date.now())) / 1000;
    const ref: TaskRef = { id: request.id, name: request.name, request };
    const decision = decideAfterRun(outcome, request.retries);
    switch (decision.kind) {
      case 'succeeded':
        try {
          await report.succeeded(request, decision.value, runtime);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          await report.failed(request, ref, error);
        }
        break;
      case 'failed':
        await report.failed(request, ref, decision.error);
        break;
      case 'retries-exhausted': {
        const { retry } = decision;
        const error = new MaxRetriesExceededError(request.name, request.id, retry.maxRetries, {
          cause: retry,
        });
        await report.failed(request, ref, retry.cause ?? error);
        break;
      }
      case 'retry':
        await report.retried(request, entry.delivery.message, decision.retry);
        break;
      case 'revoked':
        await report.revoked(request, decision.details);
        break;
      case 'requeue':
        report.rejected(ref, true, 'stopped by the shutdown: given back to the queue');
        break;
    }
    this.#settle(entry.delivery, decision.settle);
    this.totals.set(request.name, (this.totals.get(request.name) ?? 0) + 1);
  }

  /** Revoked (by id) or expired before it ran: REVOKED, acknowledged, not run. */
  #dropIfRevokedOrExpired(entry: WorkerRequest): boolean {
    const { request } = entry;
    const dropped = revokedOrExpired({
      revoked: this.#deps.revoked.has(request.id),
      expires: request.expires?.getTime(),
      now: Date.now(),
    });
    if (!dropped) return false;
    this.#drop(entry, dropped.expired);
    return true;
  }

  /** REVOKED (after the task's own `dropped`), acknowledged, never run. */
  #drop(entry: WorkerRequest, expired: boolean): void {
    const { request } = entry;
    this.#deps.book.remove(entry);
    void (async () => {
      // Celery's task_revoked comes first, so that whoever sees REVOKED sees its Girder job ended.
      await entry.task
        .dropped?.(request, { logger: this.#deps.logger.child({ taskId: request.id }) })
        .catch(() => undefined);
      await this.#revoked(entry, { terminated: false, signum: null, expired });
    })().catch(() => undefined);
  }

  async #revoked(entry: WorkerRequest, details: RevokedDetails): Promise<void> {
    await this.#deps.report.revoked(entry.request, details);
    this.#settle(entry.delivery, 'ack');
    if (entry.state !== 'active') entry.markDone();
  }

  async #rejectUnreadable(
    delivery: Delivery,
    envelope: TaskEnvelope | undefined,
    error: Error,
  ): Promise<void> {
    const decision = decideUnreadable(envelope !== undefined);
    if (envelope) {
      const ref: TaskRef = { id: envelope.id, name: envelope.name };
      await this.#deps.report.failed({ id: envelope.id, replyTo: envelope.replyTo }, ref, error);
    } else {
      this.#deps.report.rejected(
        { id: '', name: undefined },
        false,
        `Dropped a message that is no task (no id): ${messageOf(error)}`,
      );
    }
    this.#settle(delivery, decision.settle);
  }

  /** Acks (or gives back) a delivery once; false when its channel is gone (it comes again). */
  #settle(delivery: Delivery, how: Settlement): void {
    if (this.#settled.has(delivery)) return;
    this.#settled.add(delivery);
    const tag = delivery.message.deliveryTag;
    if (how === 'requeue') {
      delivery.channel.nack(tag, true);
      return;
    }
    if (delivery.channel.ack(tag)) return;
    // Its channel is gone, so the broker will deliver it again: remember that it is done.
    const key = attemptKeyOfHeaders(delivery.message.headers);
    if (key !== undefined) this.#doneOnLostChannel.remember(key, Date.now());
  }

  /**
   * revoke: remember the ids; drop waiting copies now; stop running ones when `terminate`, or
   * when their task stops on any revoke (docker_run with a Girder job: Girder's cancel).
   */
  revoke(ids: readonly string[], terminate: boolean, signal: string): string[] {
    const terminated: string[] = [];
    for (const id of ids) {
      this.#deps.revoked.add(id);
      for (const entry of this.#deps.book.find(id)) {
        const action = decideRevoke({
          state: entry.state,
          stopping: entry.controller.signal.aborted,
          terminate,
          signal,
          stopsOnRevoke: entry.state === 'active' && (entry.task.stopsOnRevoke?.(entry.request) ?? false),
        });
        switch (action.kind) {
          case 'drop': {
            const wasScheduled = entry.state === 'scheduled';
            this.#dropIfRevokedOrExpired(entry);
            if (wasScheduled) this.#deps.prefetchChanged();
            break;
          }
          case 'terminate':
            entry.terminated = { signal: action.signal };
            entry.controller.abort(
              new TaskCancelledError(`The task was revoked (terminated with ${action.signal})`),
            );
            if (action.killNow) this.#deps.kill(id).catch(() => undefined);
            terminated.push(id);
            break;
          case 'stop':
            entry.terminated = { signal: action.signal };
            entry.controller.abort(new TaskCancelledError('The task was revoked'));
            break;
          case 'none':
            break;
        }
      }
    }
    return terminated;
  }

  /** Gives every waiting (not yet running) task back to its queue: for a shutdown. */
  giveBackWaiting(): void {
    for (const entry of this.#deps.book.waiting()) {
      this.#deps.book.remove(entry);
      this.#settle(entry.delivery, 'requeue');
      entry.markDone();
    }
    this.#deps.prefetchChanged();
  }

  /** Forgets waiting tasks that came on a lost channel: the broker delivers them again. */
  dropWaitingFrom(isStale: (channel: AmqpChannel) => boolean): void {
    for (const entry of this.#deps.book.waiting()) {
      if (!isStale(entry.delivery.channel)) continue;
      this.#deps.book.remove(entry);
      this.#settled.add(entry.delivery);
      entry.markDone();
    }
  }

  /** Stops every running task; their messages go back to the queue. */
  stopRunning(): void {
    for (const entry of this.#deps.book.active()) {
      if (!entry.controller.signal.aborted) entry.controller.abort(new WorkerShutdownReason());
    }
  }

  /** Resolves when no task runs (at once if none does). */
  idle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#idle.delete(done);
        resolve();
      };
      this.#idle.add(done);
    });
  }
}
