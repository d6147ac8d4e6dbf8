import type { Logger } from '../../core/logger.js';
import { messageOf } from '../../core/errors.js';
import type { AmqpChannel, AmqpConnection, DeliveredMessage } from '../amqp/connection.js';
import { LamportClock } from '../lamport-clock.js';
import { controlMessageSchema, type ControlMessage } from './control-message.js';
import {
  PIDBOX_EXCHANGE,
  PIDBOX_QUEUE_ARGUMENTS,
  PIDBOX_REPLY_EXCHANGE,
  pidboxQueueName,
} from './pidbox-names.js';

/** A remote-control command: its arguments in, its reply value out (sent when a reply is asked for). */
export type ControlHandler = (args: Record<string, unknown>, message: ControlMessage) => unknown;

/**
 * A worker's end of Celery's remote control: its own queue `<nodename>.celery.pidbox` bound to
 * the `celery.pidbox` fanout exchange, requests dispatched by `method` to the registered
 * commands, replies (when the request has a ticket and reply_to) sent to `reply.celery.pidbox`
 * as `{<nodename>: value}`. Commands are added with `register` (revoke by the worker; ping,
 * inspect and the rest by whoever extends it).
 */
export class ControlServer {
  readonly nodename: string;
  readonly #commands = new Map<string, ControlHandler>();
  readonly #logger: Logger;
  readonly #clock: LamportClock;
  #channel: AmqpChannel | undefined;

  /** `clock`: the worker's Lamport clock (requests adjust it, replies carry it). */
  constructor(nodename: string, logger: Logger, clock = new LamportClock()) {
    this.nodename = nodename;
    this.#logger = logger;
    this.#clock = clock;
  }

  register(method: string, handler: ControlHandler): void {
    this.#commands.set(method, handler);
  }

  handler(method: string): ControlHandler | undefined {
    return this.#commands.get(method);
  }

  commands(): string[] {
    return [...this.#commands.keys()].sort();
  }

  /** Declares and consumes this node's control queue on a connection (after each reconnect). */
  async attach(connection: AmqpConnection): Promise<void> {
    const channel = await connection.channel();
    this.#channel = channel;
    const queue = pidboxQueueName(this.nodename);
    await channel.assertExchange(PIDBOX_EXCHANGE, 'fanout', { durable: false, autoDelete: false });
    await channel.assertQueue(queue, {
      durable: false,
      exclusive: true,
      autoDelete: true,
      arguments: { ...PIDBOX_QUEUE_ARGUMENTS },
    });
    await channel.bindQueue(queue, PIDBOX_EXCHANGE, '');
    await channel.consume(queue, (message) => void this.#onMessage(message), {
      noAck: true,
      exclusive: true,
    });
  }

  async close(): Promise<void> {
    await this.#channel?.close();
    this.#channel = undefined;
  }

  async #onMessage(message: DeliveredMessage | null): Promise<void> {
    if (message === null) return;
    let request: ControlMessage;
    try {
      request = controlMessageSchema.parse(JSON.parse(message.content.toString('utf8')));
    } catch (error) {
      this.#logger.warn(`Ignored a malformed control message: ${messageOf(error)}`);
      return;
    }
    if (message.headers.clock !== undefined) this.#clock.adjust(message.headers.clock);
    const expires = Number(message.headers.expires ?? 0);
    if (expires > 0 && expires * 1000 < Date.now()) return;
    if (
      request.destination &&
      request.destination.length > 0 &&
      !request.destination.includes(this.nodename)
    ) {
      return;
    }
    if (request.pattern && !matches(request.pattern, request.matcher, this.nodename)) return;
    const handler = this.#commands.get(request.method);
    let reply: unknown;
    try {
      if (!handler) {
        reply = { error: `No such control command: ${request.method} (not supported by this worker)` };
      } else reply = await handler(request.arguments ?? {}, request);
    } catch (error) {
      reply = { error: messageOf(error) };
    }
    if (request.ticket && request.reply_to) await this.#reply(request, reply);
  }

  async #reply(request: ControlMessage, value: unknown): Promise<void> {
    const channel = this.#channel;
    if (!channel || channel.closed || !request.reply_to) return;
    try {
      await channel.assertExchange(PIDBOX_REPLY_EXCHANGE, 'direct', { durable: false, autoDelete: false });
      await channel.publish(
        request.reply_to.exchange,
        request.reply_to.routing_key,
        Buffer.from(JSON.stringify({ [this.nodename]: value ?? null }), 'utf8'),
        {
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          deliveryMode: 1,
          headers: { ticket: request.ticket ?? null, clock: this.#clock.forward() },
        },
      );
    } catch (error) {
      this.#logger.warn(`Could not answer control command ${request.method}: ${messageOf(error)}`);
    }
  }
}

/** kombu's destination patterns: glob (default) or pcre. */
function matches(pattern: string, matcher: string | null | undefined, nodename: string): boolean {
  if (matcher === 'pcre') {
    try {
      return new RegExp(pattern).test(nodename);
    } catch {
      return false;
    }
  }
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return regex.test(nodename);
}
