import { z } from 'zod';
import { ValidationError, messageOf } from '../../core/errors.js';
import { parseOrThrow } from '../../core/parse.js';
import type { DeliveredMessage } from '../amqp/connection.js';
import { ProtocolError } from '../../core/protocol-error.js';
import type { TaskEmbed } from './build-task-message.js';
import { parseIsoTime } from './python-values.js';

/** A task message as the worker understands it: Celery protocol v2, validated. */
export interface TaskRequest {
  id: string;
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  embed: TaskEmbed | null;
  retries: number;
  eta: Date | undefined;
  expires: Date | undefined;
  /** Seconds. */
  timeLimit: number | undefined;
  softTimeLimit: number | undefined;
  rootId: string;
  parentId: string | null;
  groupId: string | null;
  ignoreResult: boolean;
  /** Where results go (rpc://); undefined: nowhere. */
  replyTo: string | undefined;
  correlationId: string;
  priority: number;
  argsrepr: string;
  kwargsrepr: string;
  origin: string | null;
  shadow: string | null;
  /** Every header as received (Girder Worker's girder_result_hooks, jobInfoSpec...). */
  headers: Record<string, unknown>;
  delivery: { exchange: string; routingKey: string; redelivered: boolean; deliveryTag: number };
}

/** Enough of a message to report on it even when the rest is unusable. */
export interface TaskEnvelope {
  id: string;
  name: string | undefined;
  replyTo: string | undefined;
}

export type ParsedTask =
  { ok: true; request: TaskRequest } | { ok: false; envelope: TaskEnvelope | undefined; error: Error };

const seconds = z.number().nonnegative().nullish();
const optionalText = z.string().nullish();

const headersSchema = z.looseObject({
  task: z.string().min(1, 'expected a task name'),
  id: z.string().min(1, 'expected a task id').max(255),
  eta: optionalText,
  expires: optionalText,
  retries: z.number().int().nonnegative().nullish(),
  timelimit: z.tuple([seconds, seconds]).nullish(),
  root_id: optionalText,
  parent_id: optionalText,
  group: optionalText,
  ignore_result: z.boolean().nullish(),
  argsrepr: optionalText,
  kwargsrepr: optionalText,
  origin: optionalText,
  shadow: optionalText,
  compression: optionalText,
});

const signature = z.looseObject({}).or(z.null());
const embedSchema = z
  .looseObject({
    callbacks: z.array(signature).nullish(),
    errbacks: z.array(signature).nullish(),
    chain: z.array(signature).nullish(),
    chord: z.unknown().optional(),
  })
  .nullable();

const bodySchema = z.tuple([z.array(z.unknown()), z.record(z.string(), z.unknown()), embedSchema]);

/**
 * Reads a delivery as a Celery protocol v2 task. `decodeBody` turns the body's JSON text into
 * values (Girder Worker's jsonpickle codec, which also builds transform objects); anything wrong
 * (not JSON, not `[args, kwargs, embed]`, a header of the wrong type, an unknown class) is an
 * error that still names the task id, so that the task can be failed rather than redelivered.
 */
export function parseTaskMessage(
  message: DeliveredMessage,
  decodeBody: (text: string) => unknown,
): ParsedTask {
  const envelope = readEnvelope(message);
  try {
    if (typeof message.headers.task !== 'string') {
      throw new ProtocolError(
        'Not a Celery protocol 2 task message (no task header); protocol 1 is not supported',
      );
    }
    const headers = parseOrThrow(headersSchema, message.headers, 'headers');
    if (headers.compression)
      throw new ProtocolError(`Compressed messages (${headers.compression}) are not supported`);
    const contentType = message.contentType ?? 'application/json';
    if (contentType !== 'application/json') {
      throw new ProtocolError(`Content type ${contentType} is not accepted (only application/json)`);
    }
    const encoding = (message.contentEncoding ?? 'utf-8').toLowerCase();
    if (encoding !== 'utf-8' && encoding !== 'utf8') {
      throw new ProtocolError(`Content encoding ${message.contentEncoding} is not accepted (only utf-8)`);
    }
    const [args, kwargs, embed] = parseBody(message.content, decodeBody);
    const [hard, soft] = headers.timelimit ?? [null, null];
    const request: TaskRequest = {
      id: headers.id,
      name: headers.task,
      args,
      kwargs,
      embed: embed as TaskEmbed | null,
      retries: headers.retries ?? 0,
      eta: time(headers.eta, 'headers.eta'),
      expires: time(headers.expires, 'headers.expires'),
      timeLimit: hard ?? undefined,
      softTimeLimit: soft ?? undefined,
      rootId: headers.root_id ?? headers.id,
      parentId: headers.parent_id ?? null,
      groupId: headers.group ?? null,
      ignoreResult: headers.ignore_result ?? false,
      replyTo: message.replyTo || undefined,
      correlationId: message.correlationId || headers.id,
      priority: message.priority ?? 0,
      argsrepr: headers.argsrepr ?? '',
      kwargsrepr: headers.kwargsrepr ?? '',
      origin: headers.origin ?? null,
      shadow: headers.shadow ?? null,
      headers: message.headers,
      delivery: {
        exchange: message.exchange,
        routingKey: message.routingKey,
        redelivered: message.redelivered,
        deliveryTag: message.deliveryTag,
      },
    };
    return { ok: true, request };
  } catch (error) {
    return {
      ok: false,
      envelope,
      error: error instanceof Error ? error : new ProtocolError(messageOf(error)),
    };
  }
}

function readEnvelope(message: DeliveredMessage): TaskEnvelope | undefined {
  const headerId = message.headers.id;
  const id = typeof headerId === 'string' && headerId !== '' ? headerId : message.correlationId;
  if (!id) return undefined;
  const name = message.headers.task;
  return { id, name: typeof name === 'string' ? name : undefined, replyTo: message.replyTo || undefined };
}

function parseBody(
  content: Buffer,
  decodeBody: (text: string) => unknown,
): [unknown[], Record<string, unknown>, unknown] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    throw new ProtocolError('The message body is not UTF-8 text');
  }
  // The decoder parses the JSON itself (keeping key order); its error says "not valid JSON".
  const decoded = decodeBody(text);
  const result = bodySchema.safeParse(decoded);
  if (!result.success) {
    throw new ProtocolError('The message body is not [args (a list), kwargs (a dict), embed (a dict)]');
  }
  return result.data;
}

function time(text: string | null | undefined, field: string): Date | undefined {
  if (text === null || text === undefined) return undefined;
  const date = parseIsoTime(text);
  if (!date) throw new ValidationError(field, text, 'expected an ISO-8601 time');
  return date;
}
