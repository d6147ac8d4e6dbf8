import type { Logger } from '../../core/logger.js';
import { loadavg } from 'node:os';
import { messageOf } from '../../core/errors.js';
import type { AmqpChannel, AmqpConnection } from '../amqp/connection.js';
import type { LamportClock } from '../lamport-clock.js';
import { toWireException, tracebackOf } from '../protocol/exception-info.js';
import type { WireException } from '../protocol/exception-info.js';
import type { TaskRequest } from '../protocol/parse-task-message.js';
import type { LogChunk, Progress } from '../../execution/reporter.js';
import type { RevokedDetails, TaskRef, WorkerEventSink } from './event-sink.js';
import { exceptionRepr, resultRepr, taskReceivedFields, utcoffset } from './event-fields.js';
import { softwareInfo } from './software-info.js';

/** Celery's event exchange (`event_exchange`): topic, durable, routing key = type with '-' → '.'. */
export const EVENT_EXCHANGE = 'celeryev';
/** Seconds between heartbeats (Celery's default `freq`); monitors call a worker dead after 2 × this. */
export const HEARTBEAT_SECONDS = 2;
/** How long a stop waits for the last events (worker-offline) to be confirmed. */
const CLOSE_WAIT_MS = 2_000;

export interface CeleryEventPublisherOptions {
  /** The worker's node name (`hostname` in every event, and the AMQP header of the same name). */
  hostname: string;
  /** The worker's Lamport clock (shared with its remote-control replies). */
  clock: LamportClock;
  /** Send task events from the start (default true); `enable_events`/`disable_events` change it. */
  taskEvents?: boolean;
  heartbeatSeconds?: number;
  /** Tasks running now, and finished so far, for heartbeats. */
  counters(): { active: number; processed: number };
  logger: Logger;
}

/**
 * Celery's events, as Flower and `celery events` read them: worker-online, a worker-heartbeat
 * every 2 s and worker-offline always (Celery sends these even without -E), and the task
 * events (received, started, succeeded, failed, retried, revoked, rejected) while task events
 * are enabled. JSON bodies on the `celeryev` topic exchange, transient, on a channel of their
 * own; an event that cannot be sent (no connection at that moment) is dropped, as Celery does.
 */
export class CeleryEventPublisher implements WorkerEventSink {
  readonly hostname: string;
  readonly heartbeatSeconds: number;
  readonly #options: CeleryEventPublisherOptions;
  #taskEvents: boolean;
  #channel: AmqpChannel | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #reportedFailure = false;
  readonly #pending = new Set<Promise<void>>();
  /** Events published (confirmed or not) and dropped, for tests and diagnostics. */
  sent = 0;
  dropped = 0;

  constructor(options: CeleryEventPublisherOptions) {
    this.#options = options;
    this.hostname = options.hostname;
    this.heartbeatSeconds = options.heartbeatSeconds ?? HEARTBEAT_SECONDS;
    this.#taskEvents = options.taskEvents ?? true;
  }

  get taskEvents(): boolean {
    return this.#taskEvents;
  }

  /** Turns task events on or off; false when they already were. */
  setTaskEvents(enabled: boolean): boolean {
    if (this.#taskEvents === enabled) return false;
    this.#taskEvents = enabled;
    return true;
  }

  async connected(connection: AmqpConnection): Promise<void> {
    if (this.#closed) return;
    const channel = await connection.channel();
    await channel.assertExchange(EVENT_EXCHANGE, 'topic', { durable: true, autoDelete: false });
    this.#channel = channel;
    this.#reportedFailure = false;
    if (!this.#timer) {
      this.#timer = setInterval(() => this.heartbeat(), this.heartbeatSeconds * 1000);
      this.#timer.unref();
    }
  }

  workerOnline(): void {
    this.#send('worker-online', this.#workerFields());
  }

  /** A `worker-heartbeat` now (the timer sends one every `heartbeatSeconds`; `heartbeat` control command). */
  heartbeat(): void {
    this.#send('worker-heartbeat', this.#workerFields());
  }

  workerOffline(): void {
    this.#stopTimer();
    this.#send('worker-offline', this.#workerFields());
  }

  taskReceived(request: TaskRequest): void {
    if (this.#taskEvents) this.#send('task-received', taskReceivedFields(request));
  }

  taskStarted(request: TaskRequest): void {
    if (this.#taskEvents) this.#send('task-started', { uuid: request.id });
  }

  taskSucceeded(request: TaskRequest, result: unknown, runtimeSeconds: number): void {
    if (!this.#taskEvents) return;
    this.#send('task-succeeded', { uuid: request.id, result: resultRepr(result), runtime: runtimeSeconds });
  }

  taskFailed(task: TaskRef, _error: unknown, exception: WireException, traceback: string | null): void {
    if (!this.#taskEvents || !task.id) return;
    this.#send('task-failed', { uuid: task.id, exception: exceptionRepr(exception), traceback });
  }

  taskRetried(request: TaskRequest, error: unknown, traceback: string | null): void {
    if (!this.#taskEvents) return;
    this.#send('task-retried', {
      uuid: request.id,
      exception: exceptionRepr(toWireException(error)),
      traceback: traceback ?? tracebackOf(error),
    });
  }

  taskRevoked(task: TaskRef, details: RevokedDetails): void {
    if (!this.#taskEvents || !task.id) return;
    this.#send('task-revoked', {
      uuid: task.id,
      terminated: details.terminated,
      signum: details.signum,
      expired: details.expired,
    });
  }

  taskRejected(task: TaskRef, requeue: boolean): void {
    if (this.#taskEvents && task.id) this.#send('task-rejected', { uuid: task.id, requeue });
  }

  /**
   * longshore's `task-progress` {uuid, current, total, message}: Flower and Python's
   * `celery.events.State` ignore event types they do not know, longshore's monitor shows it.
   */
  taskProgress(request: TaskRequest, progress: Progress): void {
    if (!this.#taskEvents) return;
    this.#send('task-progress', {
      uuid: request.id,
      current: progress.current ?? null,
      total: progress.total ?? null,
      message: progress.message ?? null,
    });
  }

  /** longshore's `task-log` {uuid, stream, text}: a running container's output, batched by the worker. */
  taskLog(request: TaskRequest, chunk: LogChunk): void {
    if (this.#taskEvents)
      this.#send('task-log', { uuid: request.id, stream: chunk.stream, text: chunk.text });
  }

  /** Waits (a little) for the events in flight, worker-offline included, then closes the channel. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopTimer();
    if (this.#pending.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#pending]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CLOSE_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    const channel = this.#channel;
    this.#channel = undefined;
    await channel?.close();
  }

  #workerFields(): Record<string, unknown> {
    const { active, processed } = this.#options.counters();
    return {
      freq: this.heartbeatSeconds,
      active,
      processed,
      loadavg: loadavg().map((n) => Math.round(n * 100) / 100),
      ...softwareInfo(),
    };
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #send(type: string, fields: Record<string, unknown>): void {
    const channel = this.#channel;
    if (!channel || channel.closed) {
      this.dropped += 1;
      return;
    }
    const body = {
      hostname: this.hostname,
      utcoffset: utcoffset(),
      pid: process.pid,
      clock: this.#options.clock.forward(),
      ...fields,
      timestamp: Date.now() / 1000,
      type,
    };
    const published = channel
      .publish(EVENT_EXCHANGE, type.replace(/-/g, '.'), Buffer.from(JSON.stringify(body), 'utf8'), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 1,
        headers: { hostname: this.hostname },
      })
      .catch((error: unknown) => {
        this.dropped += 1;
        if (this.#reportedFailure) return;
        this.#reportedFailure = true;
        this.#options.logger.warn(`Could not publish an event (${type}): ${messageOf(error)}`);
      })
      .finally(() => this.#pending.delete(published));
    this.#pending.add(published);
    this.sent += 1;
  }
}
