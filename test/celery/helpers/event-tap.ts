// Celery events as a monitor receives them, read raw from the broker: a queue of our own bound
// to the `celeryev` topic exchange with '#' (as Flower's receiver binds), exclusive, so that it
// goes away with the connection.
import { AmqpConnection, type DeliveredMessage } from '../../../src/celery/amqp/connection.js';
import { BROKER, uniqueName } from './broker.js';

export interface TappedEvent {
  body: Record<string, unknown>;
  message: DeliveredMessage;
  /** When it arrived here (ms since the epoch). */
  receivedAt: number;
}

export class EventTap {
  readonly events: TappedEvent[] = [];
  readonly #listeners = new Set<() => void>();

  private constructor(private readonly connection: AmqpConnection) {}

  static async open(): Promise<EventTap> {
    const connection = await AmqpConnection.open(BROKER, 'longshore test event tap');
    const tap = new EventTap(connection);
    const channel = await connection.channel();
    const queue = uniqueName('events');
    await channel.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
    await channel.assertQueue(queue, {
      durable: false,
      exclusive: true,
      autoDelete: true,
      arguments: { 'x-message-ttl': 60_000 },
    });
    await channel.bindQueue(queue, 'celeryev', '#');
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        const body = JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
        tap.events.push({ body, message, receivedAt: Date.now() });
        for (const listener of tap.#listeners) listener();
      },
      { noAck: true, exclusive: true },
    );
    return tap;
  }

  /** The events of one node (and of one type). */
  of(hostname: string, type?: string): Record<string, unknown>[] {
    return this.events
      .filter((e) => e.body.hostname === hostname && (type === undefined || e.body.type === type))
      .map((e) => e.body);
  }

  /** Resolves once `predicate` holds over the events received so far. */
  until(predicate: (events: TappedEvent[]) => boolean, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.events)) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        const types = this.events.map((e) => `${String(e.body.hostname)} ${String(e.body.type)}`);
        reject(new Error(`events never matched within ${timeoutMs} ms; got:\n${types.join('\n')}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
