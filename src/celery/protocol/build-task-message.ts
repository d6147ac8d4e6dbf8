import { hostname } from 'node:os';
import { redact } from '../../core/secrets.js';
import type { PublishProperties } from '../amqp/connection.js';
import { argsRepr, kwargsRepr, toPythonIsoTime } from './python-values.js';

/** Celery's `embed`: what runs after the task. longshore sends it empty. */
export interface TaskEmbed {
  callbacks: unknown[] | null;
  errbacks: unknown[] | null;
  chain: unknown[] | null;
  chord: unknown;
}

export const EMPTY_EMBED: TaskEmbed = { callbacks: null, errbacks: null, chain: null, chord: null };

export interface TaskMessageInput {
  id: string;
  name: string;
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
  /** The client's reply queue (Celery always sets it, whatever the backend). */
  replyTo: string;
  eta?: Date | null;
  expires?: Date | null;
  retries?: number;
  /** Seconds, or null. */
  timeLimit?: number | null;
  softTimeLimit?: number | null;
  priority?: number;
  ignoreResult?: boolean;
  rootId?: string | null;
  parentId?: string | null;
  groupId?: string | null;
  groupIndex?: number | null;
  shadow?: string | null;
  /** Extra headers (Girder Worker's girder_result_hooks, jobInfoSpec...); they cannot replace Celery's own. */
  headers?: Readonly<Record<string, unknown>>;
  embed?: TaskEmbed;
  /** The body's JSON text from `[args, kwargs, embed]`; Girder Worker's jsonpickle encoder for dockerRun. */
  encodeBody?: (body: [readonly unknown[], Readonly<Record<string, unknown>>, TaskEmbed]) => string;
  /** Override the argsrepr/kwargsrepr previews. */
  argsrepr?: string;
  kwargsrepr?: string;
}

export interface BuiltTaskMessage {
  body: Buffer;
  properties: PublishProperties;
}

/** `gen<pid>@<hostname>`, Celery's anonymous node name for a client. */
export function originName(): string {
  return `gen${process.pid}@${hostname()}`;
}

/**
 * A Celery protocol v2 task message, exactly as Celery 5 sends one (header set, properties,
 * `[args, kwargs, embed]` body). Integers in headers go out as int32 (see header-encoding.ts).
 */
export function buildTaskMessage(input: TaskMessageInput): BuiltTaskMessage {
  const embed = input.embed ?? EMPTY_EMBED;
  const headers: Record<string, unknown> = {
    ...(input.headers ?? {}),
    lang: 'py',
    task: input.name,
    id: input.id,
    shadow: input.shadow ?? null,
    eta: input.eta ? toPythonIsoTime(input.eta) : null,
    expires: input.expires ? toPythonIsoTime(input.expires) : null,
    group: input.groupId ?? null,
    group_index: input.groupIndex ?? null,
    retries: input.retries ?? 0,
    timelimit: [input.timeLimit ?? null, input.softTimeLimit ?? null],
    root_id: input.rootId ?? input.id,
    parent_id: input.parentId ?? null,
    argsrepr: input.argsrepr ?? redact(argsRepr(input.args)),
    kwargsrepr: input.kwargsrepr ?? redact(kwargsRepr(input.kwargs)),
    origin: originName(),
    ignore_result: input.ignoreResult ?? false,
    replaced_task_nesting: 0,
    stamped_headers: null,
    stamps: {},
  };
  const encode = input.encodeBody ?? ((body) => JSON.stringify(body));
  const properties: PublishProperties = {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    correlationId: input.id,
    replyTo: input.replyTo,
    deliveryMode: 2,
    priority: input.priority ?? 0,
    headers,
  };
  if (input.expires) {
    // kombu: str(int(expires_seconds * 1000)); Celery sends 0 for a time in the past.
    properties.expiration = String(Math.max(0, Math.floor(input.expires.getTime() - Date.now())));
  }
  return {
    body: Buffer.from(encode([input.args, input.kwargs, embed]), 'utf8'),
    properties,
  };
}
