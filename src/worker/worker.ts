import { messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { defaultLogger } from '../config/default-logger.js';
import { redactUrl } from '../core/secrets.js';
import { BrokerLink } from '../celery/amqp/broker-link.js';
import type { AmqpChannel, AmqpConnection } from '../celery/amqp/connection.js';
import { declareTaskQueue } from '../celery/amqp/task-queue.js';
import { CeleryEventPublisher } from '../celery/events/event-publisher.js';
import { LamportClock } from '../celery/lamport-clock.js';
import { ControlServer } from '../celery/pidbox/control-server.js';
import type { TaskRequest } from '../celery/protocol/parse-task-message.js';
import { app, type TaskRegistry } from '../app/task-registry.js';
import { dockerRunWorkerTask } from '../docker-run/docker-run-worker-task.js';
import { emitEvent, type WorkerEventSink } from '../celery/events/event-sink.js';
import { registerInspectCommands } from './inspect-commands.js';
import { killTaskContainers } from './kill-task-containers.js';
import { removeOrphanedTaskContainers } from './orphans.js';
import { OutcomeReporter } from './outcome-reporter.js';
import { RequestBook } from './request-book.js';
import { RevokedSet } from './revoked-set.js';
import { registerRevokeCommand } from './revoke-command.js';
import { TaskPipeline } from './task-pipeline.js';
import { configuredPolicy, resolvePolicy } from '../docker-run/policy/load-policy.js';
import { secureDefaultPolicy, type WorkerPolicy } from '../docker-run/policy/policy-schema.js';
import { resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from './worker-options.js';

export type WorkerState = 'new' | 'running' | 'stopping' | 'stopped';

/**
 * `longshore worker`: consumes Celery task messages from RabbitMQ and runs them (Girder Worker's
 * docker_run and the tasks registered with `app.task`). Acks late with prefetch = concurrency ×
 * multiplier (widened by one per ETA task held); reconnects with backoff, forever, after the
 * broker goes away. `stop()` is graceful: consuming stops, waiting tasks go back to the queue,
 * running ones get the grace period, then their containers are stopped and their messages given
 * back.
 *
 * Monitoring as a Celery worker: events on `celeryev` (worker-online, heartbeats every 2 s,
 * worker-offline, task events; see `celeryEvents`) and remote control on its pidbox queue
 * (ping, inspect's stats/active/reserved/scheduled/revoked/registered/active_queues/conf/
 * query_task, revoke, terminate, enable_events, disable_events, heartbeat), as Flower and
 * Python's `app.control` use them.
 *
 * Extension points: `options.events` (more sinks), `control` (add commands), `revoked`,
 * `requests` (scheduled / reserved / active, each with its AbortController).
 */
export class Worker {
  readonly options: ResolvedWorkerOptions;
  readonly registry: TaskRegistry;
  readonly revoked = new RevokedSet();
  readonly requests = new RequestBook();
  readonly control: ControlServer;
  readonly events: readonly WorkerEventSink[];
  /** Celery events on the broker; undefined with `sendEvents: false`. */
  readonly celeryEvents: CeleryEventPublisher | undefined;
  /** The Lamport clock of its events and control replies. */
  readonly clock = new LamportClock();
  readonly startedAt = Date.now();
  /** What docker_run messages may ask of this host, defaults filled in. */
  readonly policy: WorkerPolicy;
  readonly #pipeline: TaskPipeline;
  readonly #link: BrokerLink;
  readonly #logger: Logger;
  #channel: AmqpChannel | undefined;
  #consumers: { channel: AmqpChannel; tag: string }[] = [];
  #state: WorkerState = 'new';
  #stopping: Promise<void> | undefined;

  constructor(options: WorkerOptions) {
    this.options = resolveWorkerOptions(options);
    // Loaded once, at start: a bad policy file stops the worker before it takes any message.
    this.policy =
      options.policy === undefined
        ? (configuredPolicy() ?? secureDefaultPolicy())
        : resolvePolicy(options.policy);
    this.registry = options.registry ?? app;
    if (!this.registry.has(dockerRunWorkerTask.name)) this.registry.register(dockerRunWorkerTask);
    this.#logger = (options.logger ?? defaultLogger()).child({ hostname: this.options.hostname });
    this.celeryEvents = this.options.sendEvents
      ? new CeleryEventPublisher({
          hostname: this.options.hostname,
          clock: this.clock,
          taskEvents: this.options.taskEvents,
          counters: () => ({ active: this.#pipeline.running, processed: this.#processed() }),
          logger: this.#logger,
        })
      : undefined;
    this.events = [...(options.events ?? []), ...(this.celeryEvents ? [this.celeryEvents] : [])];
    this.control = new ControlServer(this.options.hostname, this.#logger, this.clock);
    const report = new OutcomeReporter({
      hostname: this.options.hostname,
      events: this.events,
      logger: this.#logger,
      channel: () => this.#currentChannel(),
    });
    this.#pipeline = new TaskPipeline({
      concurrency: this.options.concurrency,
      registry: this.registry,
      book: this.requests,
      revoked: this.revoked,
      report,
      logger: this.#logger,
      prefetchChanged: () => this.#applyPrefetch(),
      kill: killTaskContainers,
      redelivered: (request) => this.#clearOrphans(request),
      policy: this.policy,
    });
    registerRevokeCommand(this.control, this.#pipeline);
    registerInspectCommands(this.control, {
      options: this.options,
      registry: this.registry,
      requests: this.requests,
      revoked: this.revoked,
      totals: this.#pipeline.totals,
      clock: this.clock,
      startedAt: this.startedAt,
      prefetchCount: () => this.#prefetchCount(),
      events: this.celeryEvents,
    });
    this.#link = new BrokerLink(this.options.broker, {
      name: `longshore worker ${this.options.hostname}`,
      tls: this.options.brokerTls,
      maxAttempts: Infinity,
      backoff: { initialMs: 500, maxMs: 30_000 },
      setup: (connection) => this.#setup(connection),
      stayConnected: () => this.#state === 'running' || this.#pipeline.running > 0,
    });
    this.#link.on('retrying', ({ attempt, delayMs, error }) =>
      this.#logger.warn(`${error.message}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt})`),
    );
    this.#link.on('lost', (error) => {
      this.#logger.warn(`${error.message}; reconnecting`);
      const dead = this.#channel;
      this.#channel = undefined;
      this.#consumers = [];
      this.#pipeline.dropWaitingFrom((channel) => channel === dead || channel.closed);
    });
  }

  get state(): WorkerState {
    return this.#state;
  }

  /** Tasks run so far, by name. */
  get totals(): ReadonlyMap<string, number> {
    return this.#pipeline.totals;
  }

  /** Connects (retrying with backoff until it can, or until stopped) and starts consuming. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`The worker was already started (${this.#state})`);
    this.#state = 'running';
    this.#logger.info(
      `Starting: queues ${this.options.queues.join(', ')}, concurrency ${this.options.concurrency}, ` +
        `tasks ${this.registry.names().join(', ')}`,
    );
    try {
      await this.#link.connection();
    } catch (error) {
      if (this.#state === 'running') throw error;
    }
  }

  /**
   * Graceful stop: no new tasks; waiting ones go back to the queue; running ones get
   * `graceSeconds` (default: the worker's shutdownGraceSeconds) to finish, then are stopped and
   * their messages given back. Idempotent.
   */
  stop(options: { graceSeconds?: number } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.graceSeconds ?? this.options.shutdownGraceSeconds);
    return this.#stopping;
  }

  /** Stops at once: running tasks are stopped and given back. Idempotent. */
  close(): Promise<void> {
    if (this.#pipeline.running > 0 && this.#state !== 'stopped') this.#pipeline.stopRunning();
    return this.stop({ graceSeconds: 0 });
  }

  async #stop(graceSeconds: number): Promise<void> {
    const wasRunning = this.#state === 'running';
    this.#state = 'stopping';
    if (wasRunning) this.#logger.info('Stopping: no new tasks');
    for (const { channel, tag } of this.#consumers) await channel.cancel(tag).catch(() => undefined);
    this.#consumers = [];
    this.#pipeline.giveBackWaiting();
    if (this.#pipeline.running > 0) {
      this.#logger.info(`Waiting up to ${graceSeconds}s for ${this.#pipeline.running} running task(s)`);
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceSeconds * 1000);
      });
      await Promise.race([this.#pipeline.idle(), graceOver]);
      clearTimeout(timer);
      if (this.#pipeline.running > 0) {
        this.#logger.info(
          `Stopping ${this.#pipeline.running} running task(s); their messages go back to the queue`,
        );
        this.#pipeline.stopRunning();
        await this.#pipeline.idle();
      }
    }
    const steps: (() => unknown)[] = [
      () => this.control.close(),
      () => this.#emit('workerOffline'),
      ...this.events.map((sink) => () => sink.close?.()),
      () => this.#link.close(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        this.#logger.error(`While stopping: ${messageOf(error)}`);
      }
    }
    this.#channel = undefined;
    this.#state = 'stopped';
    if (wasRunning) this.#logger.info('Stopped');
  }

  async #setup(connection: AmqpConnection): Promise<void> {
    const channel = await connection.channel();
    channel.onClose((error) => {
      // A channel error (not a lost connection) ends its consumers: start over on a new connection.
      if (error && !connection.closed)
        void this.#link.reconnect(`the task channel closed: ${messageOf(error)}`);
    });
    this.#logger.info(`Connected to ${redactUrl(this.options.broker)}`);
    await channel.prefetch(this.#prefetchCount());
    this.#consumers = [];
    for (const queue of this.options.queues) await declareTaskQueue(channel, queue);
    this.#channel = channel;
    if (this.#state !== 'running') return;
    for (const queue of this.options.queues) {
      const tag = await channel.consume(queue, (message) => {
        if (message) this.#pipeline.onDelivery(message, channel);
        else this.#logger.warn(`The broker cancelled the consumer of queue ${queue}`);
      });
      this.#consumers.push({ channel, tag });
    }
    try {
      await this.control.attach(connection);
    } catch (error) {
      this.#logger.warn(
        `Remote control unavailable (is another worker named ${this.options.hostname}?): ${messageOf(error)}`,
      );
    }
    for (const sink of this.events) {
      try {
        await sink.connected?.(connection);
      } catch (error) {
        this.#logger.warn(`An event sink failed to connect: ${messageOf(error)}`);
      }
    }
    this.#emit('workerOnline');
  }

  #emit(method: 'workerOnline' | 'workerOffline'): void {
    emitEvent(this.events, method, (error) => this.#logger.warn(`An event sink failed: ${messageOf(error)}`));
  }

  #processed(): number {
    let sum = 0;
    for (const n of this.#pipeline.totals.values()) sum += n;
    return sum;
  }

  /**
   * A message delivered again: its first attempt's worker may have died mid-task on this host,
   * leaving its container (still running, maybe) and its temporary directories: they go first.
   */
  async #clearOrphans(request: TaskRequest): Promise<void> {
    try {
      const { containers, tempDirs } = await removeOrphanedTaskContainers(request.id);
      if (containers.length > 0) {
        this.#logger.info(
          `Task ${request.name}[${request.id}] delivered again: removed ${containers.length} container(s) ` +
            `and ${tempDirs.length} temporary director${tempDirs.length === 1 ? 'y' : 'ies'} ` +
            'of a worker that died running it',
        );
      }
    } catch (error) {
      this.#logger.warn(
        `Task ${request.name}[${request.id}]: could not look for a dead worker's containers: ${messageOf(error)}`,
      );
    }
  }

  async #currentChannel(): Promise<AmqpChannel> {
    for (;;) {
      await this.#link.connection();
      const channel = this.#channel;
      if (channel && !channel.closed) return channel;
      // Set up is finishing on another path; look again shortly.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  #prefetchCount(): number {
    const base = this.options.concurrency * this.options.prefetchMultiplier;
    return base + this.requests.scheduled().length;
  }

  #applyPrefetch(): void {
    const channel = this.#channel;
    if (!channel || channel.closed) return;
    channel.prefetch(this.#prefetchCount()).catch(() => undefined);
  }
}
