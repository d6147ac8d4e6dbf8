import { randomUUID } from 'node:crypto';
import { AmqpConnection } from '../amqp/connection.js';
import type { BrokerTlsOptions } from '../../config/broker-tls.js';
import { buildControlRequest } from '../pidbox/control-message.js';
import { PIDBOX_EXCHANGE, PIDBOX_REPLY_EXCHANGE } from '../pidbox/pidbox-names.js';

export interface InspectOptions {
  /** Seconds to collect replies (Celery's default 1). */
  timeoutSeconds?: number;
  /** Only these node names answer (default: every worker). */
  destination?: string[];
  arguments?: Record<string, unknown>;
  /** TLS for an amqps:// URL. */
  tls?: BrokerTlsOptions | undefined;
}

/** Each worker's reply, by node name (`{'celery@host': {...}}`, as `celery inspect --json` prints). */
export type InspectReplies = Record<string, unknown>;

/**
 * Celery's `app.control.broadcast(method, reply=True)`, as `celery inspect` sends it: the request
 * on the `celery.pidbox` fanout with a ticket and a reply_to, replies collected for the timeout
 * on a reply queue of our own (`<oid>.reply.celery.pidbox` bound to `reply.celery.pidbox`).
 * Longshore and Python workers answer alike. Rejects with a BrokerConnectionError when the broker
 * cannot be reached.
 */
export async function broadcastInspect(
  brokerUrl: string,
  method: string,
  options: InspectOptions = {},
): Promise<InspectReplies> {
  const connection = await AmqpConnection.open(brokerUrl, 'longshore inspect', options.tls);
  try {
    const channel = await connection.channel();
    const oid = randomUUID();
    const ticket = randomUUID();
    const replyQueue = `${oid}.reply.celery.pidbox`;
    await channel.assertExchange(PIDBOX_EXCHANGE, 'fanout', { durable: false, autoDelete: false });
    await channel.assertExchange(PIDBOX_REPLY_EXCHANGE, 'direct', { durable: false, autoDelete: false });
    await channel.assertQueue(replyQueue, {
      durable: false,
      exclusive: true,
      autoDelete: true,
      arguments: { 'x-message-ttl': 300_000, 'x-expires': 10_000 },
    });
    await channel.bindQueue(replyQueue, PIDBOX_REPLY_EXCHANGE, oid);
    const replies: InspectReplies = {};
    await channel.consume(
      replyQueue,
      (message) => {
        if (!message || message.headers.ticket !== ticket) return;
        try {
          const body = JSON.parse(message.content.toString('utf8')) as unknown;
          if (typeof body === 'object' && body !== null) Object.assign(replies, body);
        } catch {
          // A reply that is not JSON is no answer we can show.
        }
      },
      { noAck: true, exclusive: true },
    );
    const request = buildControlRequest({
      method,
      arguments: options.arguments ?? {},
      destination: options.destination ?? null,
      ticket,
      replyTo: { exchange: PIDBOX_REPLY_EXCHANGE, routing_key: oid },
    });
    await channel.publish(PIDBOX_EXCHANGE, '', request.body, {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 1,
      headers: request.headers,
    });
    await new Promise((resolve) => setTimeout(resolve, (options.timeoutSeconds ?? 1) * 1000));
    return replies;
  } finally {
    await connection.close();
  }
}
