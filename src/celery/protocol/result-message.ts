import { z } from 'zod';
import type { PublishProperties } from '../amqp/connection.js';
import { messageOf } from '../../core/errors.js';
import { ProtocolError } from '../../core/protocol-error.js';
import { toPythonIsoTime } from './python-values.js';

/**
 * Results through Celery's `rpc://` backend: the worker publishes one message per state change
 * to the sender's reply queue (exchange '', routing key = the message's reply_to), with
 * correlation_id = task id, transient (delivery_mode 1), JSON body
 * `{task_id, status, result, traceback, children, date_done}`.
 */
export type ResultState = 'PENDING' | 'STARTED' | 'RETRY' | 'SUCCESS' | 'FAILURE' | 'REVOKED';

export interface ResultMeta {
  task_id: string;
  status: string;
  result: unknown;
  traceback: string | null;
  children: unknown[];
  date_done: string | null;
  parent_id?: string;
  group_id?: string;
}

export interface BuiltResult {
  body: Buffer;
  properties: PublishProperties;
}

const READY = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

export function buildResultMessage(input: {
  taskId: string;
  state: ResultState;
  result: unknown;
  traceback?: string | null;
  parentId?: string | null;
  groupId?: string | null;
}): BuiltResult {
  const meta: ResultMeta = {
    status: input.state,
    result: input.result ?? null,
    traceback: input.traceback ?? null,
    children: [],
    date_done: READY.has(input.state) ? toPythonIsoTime(new Date()) : null,
    task_id: input.taskId,
  };
  if (input.parentId) meta.parent_id = input.parentId;
  if (input.groupId) meta.group_id = input.groupId;
  let text: string;
  try {
    text = JSON.stringify(meta);
  } catch (error) {
    throw new ProtocolError(
      `The result of task ${input.taskId} cannot be sent as JSON: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  return {
    body: Buffer.from(text, 'utf8'),
    properties: {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      correlationId: input.taskId,
      deliveryMode: 1,
      headers: {},
    },
  };
}

const resultMetaSchema = z.looseObject({
  task_id: z.string().min(1),
  status: z.string().min(1),
  result: z.unknown().optional(),
  traceback: z.string().nullish(),
  children: z.array(z.unknown()).nullish(),
  date_done: z.unknown().optional(),
});

export type ParsedResultMeta = z.output<typeof resultMetaSchema>;

/** A reply from the rpc backend, or undefined when it is not one (it is then ignored). */
export function parseResultMessage(
  content: Buffer,
  correlationId: string | undefined,
): ParsedResultMeta | undefined {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
  // Very old workers leave task_id out; the correlation id is the task id.
  if (value && typeof value === 'object' && !Array.isArray(value) && correlationId) {
    (value as Record<string, unknown>).task_id ??= correlationId;
  }
  const parsed = resultMetaSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
