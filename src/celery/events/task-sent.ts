import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { AmqpConnection } from '../amqp/connection.js';
import { EVENT_EXCHANGE } from './event-publisher.js';
import { utcoffset } from './event-fields.js';
import type { BrokerTlsOptions } from '../../config/broker-tls.js';

/** What a client knows of a task it has just sent, for Celery's `task-sent` event. */
export interface TaskSentInfo {
  uuid: string;
  name: string;
  /** Python reprs, as Celery's `argsrepr` / `kwargsrepr`. */
  args: string;
  kwargs: string;
  queue: string;
  retries?: number;
  eta?: string | null;
  expires?: string | null;
  rootId?: string | null;
  parentId?: string | null;
  /** Who sent it (the `longshore_user` / `longshore_group` headers), and the image of a docker_run. */
  user?: string | undefined;
  group?: string | undefined;
  image?: string | undefined;
}

/** The client's node name in events: Celery's `gen-<pid>@<host>` style for producers. */
function clientHostname(): string {
  return `gen${process.pid}@${osHostname()}`;
}

/** The body of a `task-sent` event, with Celery's fields (celery/app/amqp.py send_task_message). */
export function taskSentEvent(info: TaskSentInfo, clock = 1): Record<string, unknown> {
  return {
    hostname: clientHostname(),
    utcoffset: utcoffset(),
    pid: process.pid,
    clock,
    uuid: info.uuid,
    root_id: info.rootId ?? info.uuid,
    parent_id: info.parentId ?? null,
    name: info.name,
    args: info.args,
    kwargs: info.kwargs,
    retries: info.retries ?? 0,
    eta: info.eta ?? null,
    expires: info.expires ?? null,
    queue: info.queue,
    exchange: '',
    routing_key: info.queue,
    ...(info.user ? { user: info.user } : {}),
    ...(info.group ? { group: info.group } : {}),
    ...(info.image ? { image: info.image } : {}),
    timestamp: Date.now() / 1000,
    type: 'task-sent',
  };
}

/**
 * Publishes `task-sent` on the celeryev exchange, as a Celery client does with
 * `task_send_sent_event`: monitors learn who sent a task even when a Python worker runs it (its
 * own events do not repeat our headers). A connection of its own, closed once confirmed.
 */
export async function publishTaskSent(
  brokerUrl: string,
  info: TaskSentInfo,
  options: { tls?: BrokerTlsOptions | undefined } = {},
): Promise<void> {
  const connection = await AmqpConnection.open(
    brokerUrl,
    `longshore task-sent ${randomUUID().slice(0, 8)}`,
    options.tls,
  );
  try {
    const channel = await connection.channel();
    await channel.assertExchange(EVENT_EXCHANGE, 'topic', { durable: true, autoDelete: false });
    const body = taskSentEvent(info);
    await channel.publish(EVENT_EXCHANGE, 'task.sent', Buffer.from(JSON.stringify(body), 'utf8'), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 1,
      headers: { hostname: body.hostname },
    });
  } finally {
    await connection.close();
  }
}
