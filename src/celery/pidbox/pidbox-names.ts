/**
 * Celery's remote control ("pidbox", kombu/pidbox.py with Celery's defaults): a fanout exchange
 * every worker's own queue is bound to, and a direct exchange for replies.
 */
export const PIDBOX_EXCHANGE = 'celery.pidbox';
export const PIDBOX_REPLY_EXCHANGE = 'reply.celery.pidbox';

/** A worker's control queue: `<nodename>.celery.pidbox`. */
export function pidboxQueueName(nodename: string): string {
  return `${nodename}.celery.pidbox`;
}

/** kombu 5.6 declares a worker's queue exclusive, auto-deleted, with these limits (ms). */
export const PIDBOX_QUEUE_ARGUMENTS = { 'x-message-ttl': 300_000, 'x-expires': 10_000 } as const;
