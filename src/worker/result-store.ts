import type { AmqpChannel, DeliveredMessage } from '../celery/amqp/connection.js';
import type { Retry } from '../celery/errors.js';
import { buildResultMessage, type ResultState } from '../celery/protocol/result-message.js';
import { toPythonIsoTime } from '../celery/protocol/python-values.js';

/** What a result is about: the task id, where its results go, and whether it wants them. */
export interface ResultTarget {
  id: string;
  replyTo: string | undefined;
  ignoreResult?: boolean;
  parentId?: string | null;
  groupId?: string | null;
}

/**
 * Stores a state with the rpc:// backend: one message to the sender's reply queue (exchange '',
 * routing key = reply_to, correlation_id = task id, transient). Nothing is sent when the
 * message had no reply_to or asked for no result (ignore_result), as Celery does.
 */
export async function storeResult(
  channel: AmqpChannel,
  target: ResultTarget,
  state: ResultState,
  result: unknown,
  traceback: string | null = null,
): Promise<void> {
  if (!target.replyTo || target.ignoreResult) return;
  const message = buildResultMessage({
    taskId: target.id,
    state,
    result,
    traceback,
    parentId: target.parentId ?? null,
    groupId: target.groupId ?? null,
  });
  await channel.publish('', target.replyTo, message.body, message.properties);
}

/**
 * Celery's `Task.retry()`: the same message again (same id, body and reply_to) with
 * `retries + 1` and an `eta`, to where it came from. Resolves once the broker has it.
 */
export async function republishForRetry(
  channel: AmqpChannel,
  message: DeliveredMessage,
  retries: number,
  retry: Retry,
): Promise<Date> {
  const eta = retry.eta ?? new Date(Date.now() + retry.countdown * 1000);
  const headers = { ...message.headers, retries: retries + 1, eta: toPythonIsoTime(eta) };
  await channel.publish(message.exchange, message.routingKey, message.content, {
    ...(message.contentType ? { contentType: message.contentType } : {}),
    ...(message.contentEncoding ? { contentEncoding: message.contentEncoding } : {}),
    ...(message.correlationId ? { correlationId: message.correlationId } : {}),
    ...(message.replyTo ? { replyTo: message.replyTo } : {}),
    deliveryMode: 2,
    priority: message.priority ?? 0,
    headers,
  });
  return eta;
}
