import type { AmqpChannel } from './connection.js';

/** Celery's default queue. */
export const DEFAULT_QUEUE = 'celery';

/**
 * Declares a task queue the way Celery does (`task_create_missing_queues`): a durable queue X, a
 * durable direct exchange X, bound with routing key X. Both sides must declare alike, or the
 * broker refuses the second with 406 PRECONDITION_FAILED; these are kombu's defaults.
 */
export async function declareTaskQueue(channel: AmqpChannel, queue: string): Promise<void> {
  await channel.assertExchange(queue, 'direct', { durable: true, autoDelete: false });
  await channel.assertQueue(queue, { durable: true, exclusive: false, autoDelete: false });
  await channel.bindQueue(queue, queue, queue);
}
