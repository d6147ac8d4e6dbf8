import { randomUUID } from 'node:crypto';
import { TaskCancelledError, messageOf } from '../../core/errors.js';
import { redactUrl } from '../../core/secrets.js';
import type { ParsedApplyOptions } from './apply-options.js';
import { TaskHandle, type RevokeOptions } from '../../execution/task-handle.js';
import { BrokerLink } from '../amqp/broker-link.js';
import type { AmqpChannel, AmqpConnection, DeliveredMessage } from '../amqp/connection.js';
import { DEFAULT_QUEUE, declareTaskQueue } from '../amqp/task-queue.js';
import { BrokerConnectionError } from '../errors.js';
import { buildControlRequest } from '../pidbox/control-message.js';
import { PIDBOX_EXCHANGE } from '../pidbox/pidbox-names.js';
import { buildTaskMessage, type TaskEmbed } from '../protocol/build-task-message.js';
import { parseResultMessage } from '../protocol/result-message.js';
import { ResultWaiters } from './result-waiters.js';
import type { BrokerTlsOptions } from '../../config/broker-tls.js';

/** A call as it goes on the wire: JSON-able args and kwargs, plus extra headers. */
export interface WireCall {
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
  headers?: Record<string, unknown>;
  /**
   * Headers known only later (a Girder job's, created first): the message is published once they
   * resolve, and the task fails unsent if they reject. They never replace Celery's own.
   */
  lateHeaders?: Promise<Record<string, unknown>>;
  /**
   * The call as it is published, known only later (it carries a token an API key is first
   * exchanged for): the message built now from this call checks the arguments, so bad ones still
   * throw from `send`, and is rebuilt from the late call before it is published; the task fails
   * unsent if it rejects.
   */
  lateCall?: Promise<Omit<WireCall, 'lateHeaders' | 'lateCall'>>;
  /** `[args, kwargs, embed]` → JSON text; default: Girder Worker's jsonpickle codec. */
  encodeBody?: (body: [readonly unknown[], Readonly<Record<string, unknown>>, TaskEmbed]) => string;
}

export interface CeleryClientOptions {
  /** Connection attempts before `get()` rejects with a BrokerConnectionError (default 5). */
  maxConnectAttempts?: number;
  /** After a lost connection, attempts while results are awaited (default 10, about 25 s). */
  maxReconnectAttempts?: number;
  /** Default: Girder Worker's jsonpickle codec (a plain JSON body when there are no objects). */
  encodeBody?: WireCall['encodeBody'];
  /** TLS for an amqps:// URL: the CA, a client certificate and key, the name to check. */
  tls?: BrokerTlsOptions | undefined;
}

/** One day, as Celery's `result_expires`: an abandoned reply queue goes away by itself. */
const REPLY_QUEUE_EXPIRES_MS = 86_400_000;

/**
 * A Celery client over RabbitMQ: sends protocol v2 task messages with publisher confirms and
 * follows their results through the rpc:// backend (its own reply queue, named like Celery's
 * client oid, declared and consumed before anything is sent).
 */
export class CeleryClient {
  readonly url: string;
  /** The reply queue (Celery's `reply_to`, the client's oid). */
  readonly replyQueue = randomUUID();
  readonly #link: BrokerLink;
  readonly #waiters = new ResultWaiters();
  readonly #encodeBody: WireCall['encodeBody'];
  #publishChannel: Promise<AmqpChannel> | undefined;
  #declared = new Set<string>();
  #closed = false;

  constructor(url: string, options: CeleryClientOptions = {}) {
    this.url = url;
    this.#encodeBody = options.encodeBody;
    this.#link = new BrokerLink(url, {
      name: `longshore client ${process.pid}`,
      tls: options.tls,
      maxAttempts: options.maxConnectAttempts ?? 5,
      maxReconnectAttempts: options.maxReconnectAttempts ?? 10,
      backoff: { initialMs: 200, maxMs: 3_000 },
      setup: (connection) => this.#setup(connection),
      stayConnected: () => this.#waiters.size > 0,
    });
    // Results in flight are lost with the reply queue; waiters learn it when retries give up.
    this.#link.on('failed', (error) => this.#waiters.rejectAll(error));
  }

  /**
   * Sends a task; returns its handle at once (the message is built, and bad arguments throw,
   * before this returns). `get()` rejects with a BrokerConnectionError when the broker cannot be
   * reached after a few attempts.
   */
  send<R>(name: string, call: WireCall, options: ParsedApplyOptions): TaskHandle<R> {
    if (this.#closed) throw new BrokerConnectionError('The Celery client is closed');
    const id = options.taskId ?? randomUUID();
    const queue = options.queue ?? DEFAULT_QUEUE;
    const build = (wire: Omit<WireCall, 'lateHeaders' | 'lateCall'>) => {
      const encodeBody = wire.encodeBody ?? this.#encodeBody;
      return buildTaskMessage({
        id,
        name,
        args: wire.args,
        kwargs: wire.kwargs,
        replyTo: this.replyQueue,
        eta: options.eta ?? null,
        expires: options.expires ?? null,
        timeLimit: options.timeLimit ?? null,
        softTimeLimit: options.softTimeLimit ?? null,
        ignoreResult: options.ignoreResult ?? false,
        headers: { ...(options.headers ?? {}), ...(wire.headers ?? {}) },
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
        ...(encodeBody ? { encodeBody } : {}),
      });
    };
    let message = build(call);
    call.lateHeaders?.catch(() => undefined);
    call.lateCall?.catch(() => undefined);
    const controller = new AbortController();
    const revoke = (revokeOptions: RevokeOptions): Promise<void> => this.revoke(id, revokeOptions);
    controller.signal.addEventListener(
      'abort',
      () => {
        revoke({ terminate: true }).catch(() => undefined);
      },
      { once: true },
    );
    const external = options.signal;
    if (external) {
      if (external.aborted) controller.abort(external.reason);
      else external.addEventListener('abort', () => controller.abort(external.reason), { once: true });
    }
    return new TaskHandle<R>(
      id,
      controller,
      async (reporter) => {
        const waiter = options.ignoreResult ? undefined : this.#waiters.wait(id, reporter);
        try {
          if (call.lateCall) message = build(await call.lateCall);
          if (call.lateHeaders) {
            message.properties.headers = { ...(await call.lateHeaders), ...message.properties.headers };
          }
          const channel = await this.#channelFor(queue);
          await channel.publish('', queue, message.body, message.properties);
        } catch (error) {
          waiter?.cancel();
          throw error;
        }
        if (!waiter) return undefined as R;
        return (await waiter.promise) as R;
      },
      { revoke },
    );
  }

  /**
   * Celery's `app.control.revoke(task_id, terminate, signal)`: a broadcast to every worker's
   * control queue. Workers that have the task drop it (or stop it, with `terminate`) and report
   * REVOKED; the others remember the id.
   */
  async revoke(taskId: string, options: RevokeOptions = {}): Promise<void> {
    const channel = await this.#channel();
    await channel.assertExchange(PIDBOX_EXCHANGE, 'fanout', { durable: false, autoDelete: false });
    const request = buildControlRequest({
      method: 'revoke',
      arguments: {
        task_id: taskId,
        terminate: options.terminate ?? false,
        signal: options.signal ?? 'SIGTERM',
      },
    });
    await channel.publish(PIDBOX_EXCHANGE, '', request.body, {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 1,
      headers: request.headers,
    });
  }

  /** Releases the connection; tasks still waiting for results reject. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiters.rejectAll(new TaskCancelledError('The Celery client was closed before the result arrived'));
    this.#publishChannel = undefined;
    await this.#link.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #setup(connection: AmqpConnection): Promise<void> {
    this.#publishChannel = undefined;
    this.#declared = new Set();
    const channel = await connection.channel();
    await channel.assertQueue(this.replyQueue, {
      durable: false,
      autoDelete: true,
      arguments: { 'x-expires': REPLY_QUEUE_EXPIRES_MS },
    });
    await channel.consume(this.replyQueue, (message) => this.#onReply(message), { noAck: true });
  }

  #onReply(message: DeliveredMessage | null): void {
    if (message === null) return; // the queue was deleted; the next connection declares it again
    const meta = parseResultMessage(message.content, message.correlationId);
    if (meta) this.#waiters.deliver(meta);
  }

  async #channel(): Promise<AmqpChannel> {
    const connection = await this.#link.connection();
    let pending = this.#publishChannel;
    if (pending) {
      const channel = await pending.catch(() => undefined);
      if (channel && !channel.closed) return channel;
    }
    pending = connection.channel();
    this.#publishChannel = pending;
    const channel = await pending;
    channel.onClose((error) => {
      if (error) this.#declared.clear();
    });
    return channel;
  }

  async #channelFor(queue: string): Promise<AmqpChannel> {
    const channel = await this.#channel();
    if (!this.#declared.has(queue)) {
      try {
        await declareTaskQueue(channel, queue);
      } catch (error) {
        throw new BrokerConnectionError(
          `The broker at ${redactUrl(this.url)} refused to declare queue ${queue}: ${messageOf(error)}`,
          { cause: error },
        );
      }
      this.#declared.add(queue);
    }
    return channel;
  }
}
