import { z } from 'zod';
import { parseOrThrow } from '../../core/parse.js';

/** Celery's `apply_async` options, in longshore's spelling. */
export interface ApplyOptions {
  /** Cancels the task when aborted (for a task sent to a worker: revoke with terminate). */
  signal?: AbortSignal;
  /** Use this id instead of a new UUID. */
  taskId?: string;
  /** The queue to send it to (default `celery`). Ignored in-process. */
  queue?: string;
  /** Seconds to wait before the task may start. */
  countdown?: number;
  /** The earliest time the task may start (instead of `countdown`). */
  eta?: Date;
  /** Seconds from now, or a time: a task not started by then is REVOKED instead of run. */
  expires?: number | Date;
  /** Seconds: the task is killed after this (TimeLimitExceeded). Applied by workers. */
  timeLimit?: number;
  /** Seconds: the task is asked to stop after this (SoftTimeLimitExceeded). Applied by workers. */
  softTimeLimit?: number;
  /** AMQP message priority, 0-255 (needs a queue declared with x-max-priority to matter). */
  priority?: number;
  /** Extra message headers (never Celery's own). */
  headers?: Record<string, unknown>;
  /** The worker stores no result; `get()` resolves with undefined at once. */
  ignoreResult?: boolean;
  /** Run in this process even when a broker is configured (host streams cannot cross the wire). */
  inProcess?: boolean;
}

/** ApplyOptions with times made absolute: `countdown` → `eta`, `expires` in seconds → a Date. */
export interface ParsedApplyOptions extends Omit<ApplyOptions, 'countdown' | 'expires'> {
  eta?: Date;
  expires?: Date;
}

const seconds = z.number().nonnegative().finite();

const schema = z.strictObject({
  signal: z.instanceof(AbortSignal, { message: 'expected an AbortSignal' }).optional(),
  taskId: z.string().min(1).max(255).optional(),
  queue: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^\s]+$/, 'expected a queue name without spaces')
    .optional(),
  countdown: seconds.optional(),
  eta: z.date().optional(),
  expires: z.union([seconds, z.date()]).optional(),
  timeLimit: z.number().positive().finite().optional(),
  softTimeLimit: z.number().positive().finite().optional(),
  priority: z.number().int().min(0).max(255).optional(),
  headers: z.record(z.string(), z.unknown()).optional(),
  ignoreResult: z.boolean().optional(),
  inProcess: z.boolean().optional(),
});

export function parseApplyOptions(options: ApplyOptions = {}): ParsedApplyOptions {
  const parsed = parseOrThrow(schema, options, 'options');
  const { countdown, expires, ...rest } = parsed;
  const now = Date.now();
  const out: ParsedApplyOptions = { ...rest };
  if (countdown !== undefined && rest.eta === undefined) out.eta = new Date(now + countdown * 1000);
  if (expires !== undefined) out.expires = expires instanceof Date ? expires : new Date(now + expires * 1000);
  return out;
}
