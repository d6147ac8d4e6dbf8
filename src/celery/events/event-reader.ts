import { randomUUID } from 'node:crypto';
import { messageOf } from '../../core/errors.js';
import { AmqpConnection } from '../amqp/connection.js';
import { EVENT_EXCHANGE } from './event-publisher.js';
import type { BrokerTlsOptions } from '../../config/broker-tls.js';

/** One Celery event as monitors see it: `type` (`task-started`, `worker-heartbeat`...), `hostname`, `timestamp`... */
export type CeleryEvent = Record<string, unknown> & { type: string };

export interface EventReaderOptions {
  /** Only these event types (`task.#`, `worker.heartbeat`: AMQP topic patterns); default all ('#'). */
  bindings?: readonly string[];
  /** Named in the broker's connection list. */
  connectionName?: string;
  /** TLS for an amqps:// URL. */
  tls?: BrokerTlsOptions | undefined;
  /** A malformed event (not JSON, no type): reported here and skipped. */
  onInvalid?: (why: string) => void;
}

/**
 * Celery's events read as Flower and `celery events` read them: a queue of our own, exclusive
 * and auto-deleted, bound to the `celeryev` topic exchange. Events from longshore and Python
 * workers alike. `close()` is idempotent.
 */
export class CeleryEventReader {
  readonly #connection: AmqpConnection;
  #closed = false;

  private constructor(connection: AmqpConnection) {
    this.#connection = connection;
  }

  static async open(
    brokerUrl: string,
    onEvent: (event: CeleryEvent) => void,
    options: EventReaderOptions = {},
  ): Promise<CeleryEventReader> {
    const connection = await AmqpConnection.open(
      brokerUrl,
      options.connectionName ?? 'longshore event reader',
      options.tls,
    );
    const reader = new CeleryEventReader(connection);
    try {
      const channel = await connection.channel();
      const queue = `celeryev.longshore.${randomUUID()}`;
      await channel.assertExchange(EVENT_EXCHANGE, 'topic', { durable: true, autoDelete: false });
      // Celery's receiver queues expire their messages: a stalled reader must not fill the broker.
      await channel.assertQueue(queue, {
        durable: false,
        exclusive: true,
        autoDelete: true,
        arguments: { 'x-message-ttl': 5_000, 'x-expires': 60_000 },
      });
      for (const binding of options.bindings ?? ['#'])
        await channel.bindQueue(queue, EVENT_EXCHANGE, binding);
      await channel.consume(
        queue,
        (message) => {
          if (!message) return;
          let event: unknown;
          try {
            event = JSON.parse(message.content.toString('utf8'));
          } catch (error) {
            options.onInvalid?.(`an event that is not JSON: ${messageOf(error)}`);
            return;
          }
          // A Python worker buffers task events and sends them as one list (`task.multi`).
          for (const one of Array.isArray(event) ? (event as unknown[]) : [event]) {
            if (isEvent(one)) onEvent(one);
            else options.onInvalid?.('an event without a type');
          }
        },
        { noAck: true, exclusive: true },
      );
    } catch (error) {
      await reader.close();
      throw error;
    }
    return reader;
  }

  /** Called when the broker connection is lost (not after `close()`). */
  onLost(listener: (error: Error) => void): () => void {
    return this.#connection.onClose((reason) => {
      if (reason) listener(reason);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#connection.close().catch(() => undefined);
  }
}

function isEvent(value: unknown): value is CeleryEvent {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}
