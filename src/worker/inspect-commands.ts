import { z } from 'zod';
import { redactUrl } from '../core/secrets.js';
import { EVENT_EXCHANGE, type CeleryEventPublisher } from '../celery/events/event-publisher.js';
import { ownerTags, requestReprs } from '../celery/events/event-fields.js';
import type { LamportClock } from '../celery/lamport-clock.js';
import type { ControlServer } from '../celery/pidbox/control-server.js';
import { toPythonIsoTime } from '../celery/protocol/python-values.js';
import type { TaskRegistry } from '../app/task-registry.js';
import type { RequestBook, WorkerRequest } from './request-book.js';
import type { RevokedSet } from './revoked-set.js';
import type { ResolvedWorkerOptions } from './worker-options.js';

/** What the inspect commands read from a worker. */
export interface InspectContext {
  options: ResolvedWorkerOptions;
  registry: TaskRegistry;
  requests: RequestBook;
  revoked: RevokedSet;
  /** Tasks run so far, by name. */
  totals: ReadonlyMap<string, number>;
  clock: LamportClock;
  /** When the worker was made (ms since the epoch). */
  startedAt: number;
  /** The prefetch window now (concurrency × multiplier + ETA tasks held). */
  prefetchCount(): number;
  /** Celery events, unless the worker publishes none. */
  events: CeleryEventPublisher | undefined;
}

const idsArgument = z.union([z.string().min(1), z.array(z.unknown())]).nullish();

/**
 * Celery's inspect commands and the event switches, with the reply shapes of
 * celery/worker/control.py (what `app.control.inspect()` and Flower read): ping, stats,
 * active, reserved, scheduled, revoked, registered, active_queues, conf, query_task, clock,
 * hello, enable_events, disable_events, heartbeat. `revoke` and `terminate` are registered by
 * revoke-command.ts; any other method gets an `{error}` reply from the control server.
 */
export function registerInspectCommands(control: ControlServer, ctx: InspectContext): void {
  const hostname = ctx.options.hostname;
  const info = (entry: WorkerRequest, safe: boolean): Record<string, unknown> =>
    requestInfo(entry, hostname, safe);

  control.register('ping', () => ({ ok: 'pong' }));
  control.register('stats', () => stats(ctx));
  control.register('active', (args) => ctx.requests.active().map((e) => info(e, args.safe === true)));
  control.register('reserved', (args) => ctx.requests.reserved().map((e) => info(e, args.safe === true)));
  control.register('scheduled', (args) =>
    ctx.requests.scheduled().map((e) => ({
      eta: e.request.eta ? toPythonIsoTime(e.request.eta) : null,
      priority: e.request.priority,
      request: info(e, args.safe === true),
    })),
  );
  control.register('revoked', () => ctx.revoked.ids());
  control.register('registered', () => ctx.registry.names());
  // Celery's older names for the same commands.
  for (const [alias, method] of [
    ['dump_active', 'active'],
    ['dump_reserved', 'reserved'],
    ['dump_schedule', 'scheduled'],
    ['dump_revoked', 'revoked'],
    ['dump_tasks', 'registered'],
    ['dump_conf', 'conf'],
  ] as const) {
    control.register(alias, (args, message) => control.handler(method)?.(args, message));
  }
  control.register('active_queues', () => ctx.options.queues.map(queueInfo));
  control.register('conf', () => conf(ctx));
  control.register('clock', () => ({ clock: ctx.clock.value }));
  control.register('query_task', (args) => {
    const parsed = idsArgument.parse(args.ids);
    const ids = (typeof parsed === 'string' ? [parsed] : (parsed ?? []).flat()).filter(
      (id): id is string => typeof id === 'string',
    );
    const found: Record<string, [string, Record<string, unknown>]> = {};
    for (const id of ids) {
      for (const entry of ctx.requests.find(id)) found[id] = [entry.state, info(entry, false)];
    }
    return found;
  });
  // Celery's "mingle": another worker starting up asks for the revoked ids (and gives its own).
  control.register('hello', (args) => {
    if (args.from_node === hostname) return undefined;
    const revoked = args.revoked;
    if (revoked && typeof revoked === 'object' && !Array.isArray(revoked)) {
      for (const id of Object.keys(revoked)) ctx.revoked.add(id);
    }
    return { revoked: ctx.revoked.entries(), clock: ctx.clock.forward() };
  });

  const events = ctx.events;
  control.register('enable_events', () => {
    if (!events) return { error: 'this worker publishes no events (--without-events)' };
    if (!events.setTaskEvents(true)) return { ok: 'task events already enabled' };
    return { ok: 'task events enabled' };
  });
  control.register('disable_events', () => {
    if (!events) return { error: 'this worker publishes no events (--without-events)' };
    if (!events.setTaskEvents(false)) return { ok: 'task events already disabled' };
    return { ok: 'task events disabled' };
  });
  control.register('heartbeat', () => {
    if (!events) return { error: 'this worker publishes no events (--without-events)' };
    events.heartbeat();
    return { ok: 'heartbeat sent' };
  });
}

/**
 * Celery's `Request.info()`: the task as `inspect().active()` shows it. `safe` gives the
 * argument previews (argsrepr) instead of the arguments, which are then the message's own JSON.
 */
export function requestInfo(entry: WorkerRequest, hostname: string, safe: boolean): Record<string, unknown> {
  const { request } = entry;
  let args: unknown;
  let kwargs: unknown;
  if (safe) ({ args, kwargs } = requestReprs(request));
  else ({ args, kwargs } = wireArguments(entry));
  return {
    id: request.id,
    name: request.name,
    args,
    kwargs,
    type: request.name,
    hostname,
    time_start: entry.startedAt !== undefined ? entry.startedAt / 1000 : null,
    // Acknowledged after the task ends (acks late).
    acknowledged: false,
    delivery_info: {
      exchange: request.delivery.exchange,
      routing_key: request.delivery.routingKey,
      priority: request.priority,
      redelivered: request.delivery.redelivered,
    },
    worker_pid: entry.state === 'active' ? process.pid : null,
    ...ownerTags(request.headers),
  };
}

/** The arguments as they came on the wire (plain JSON: Girder Worker's objects stay py/object dicts). */
function wireArguments(entry: WorkerRequest): { args: unknown; kwargs: unknown } {
  try {
    const body = JSON.parse(entry.delivery.message.content.toString('utf8')) as unknown;
    if (Array.isArray(body)) return { args: body[0] ?? [], kwargs: body[1] ?? {} };
  } catch {
    // Parsed once already when it arrived; fall back to the previews.
  }
  return requestReprs(entry.request);
}

function stats(ctx: InspectContext): Record<string, unknown> {
  const { options } = ctx;
  return {
    total: Object.fromEntries(ctx.totals),
    pid: process.pid,
    clock: String(ctx.clock.value),
    uptime: Math.round((Date.now() - ctx.startedAt) / 1000),
    pool: {
      implementation: 'longshore',
      'max-concurrency': options.concurrency,
      processes: [process.pid],
      'max-tasks-per-child': 'N/A',
      'put-guarded-by-semaphore': false,
      timeouts: [0, 0],
      running: ctx.requests.active().length,
    },
    broker: brokerInfo(options.broker),
    prefetch_count: ctx.prefetchCount(),
    rusage: rusage(),
  };
}

/** `stats()['broker']`: the connection's parameters, never its password. */
export function brokerInfo(url: string): Record<string, unknown> {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const ssl = parsed?.protocol === 'amqps:';
  const heartbeat = Number(parsed?.searchParams.get('heartbeat') ?? NaN);
  return {
    hostname: parsed?.hostname || 'localhost',
    userid: parsed?.username ? decodeURIComponent(parsed.username) : 'guest',
    virtual_host: virtualHost(parsed),
    port: parsed?.port ? Number(parsed.port) : ssl ? 5671 : 5672,
    insist: false,
    ssl,
    transport: 'amqp',
    connect_timeout: 10,
    transport_options: {},
    login_method: 'PLAIN',
    uri_prefix: null,
    heartbeat: Number.isFinite(heartbeat) ? heartbeat : null,
    failover_strategy: 'round-robin',
    alternates: [],
  };
}

/** amqp://host/ and amqp://host// mean vhost '/'; amqp://host/x means 'x' (percent-decoded). */
function virtualHost(url: URL | undefined): string {
  if (!url) return '/';
  const path = url.pathname.slice(1);
  if (path === '' || path === '/') return '/';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function rusage(): Record<string, number> {
  const r = process.resourceUsage();
  return {
    utime: r.userCPUTime / 1e6,
    stime: r.systemCPUTime / 1e6,
    maxrss: r.maxRSS,
    ixrss: r.sharedMemorySize,
    idrss: r.unsharedDataSize,
    isrss: r.unsharedStackSize,
    minflt: r.minorPageFault,
    majflt: r.majorPageFault,
    nswap: r.swappedOut,
    inblock: r.fsRead,
    oublock: r.fsWrite,
    msgsnd: r.ipcSent,
    msgrcv: r.ipcReceived,
    nsignals: r.signalsCount,
    nvcsw: r.voluntaryContextSwitches,
    nivcsw: r.involuntaryContextSwitches,
  };
}

/** kombu's `Queue.as_dict(recurse=True)` for a queue declared as declareTaskQueue does. */
function queueInfo(name: string): Record<string, unknown> {
  return {
    name,
    exchange: {
      name,
      type: 'direct',
      arguments: null,
      durable: true,
      passive: false,
      auto_delete: false,
      delivery_mode: null,
      no_declare: false,
    },
    routing_key: name,
    queue_arguments: null,
    binding_arguments: null,
    consumer_arguments: null,
    durable: true,
    exclusive: false,
    auto_delete: false,
    no_ack: false,
    alias: null,
    bindings: [],
    no_declare: null,
    expires: null,
    message_ttl: null,
    max_length: null,
    max_length_bytes: null,
    max_priority: null,
  };
}

/** `conf()`: the settings that matter here, under Celery's names (credentials masked). */
function conf(ctx: InspectContext): Record<string, unknown> {
  const { options } = ctx;
  return {
    broker_url: redactUrl(options.broker),
    result_backend: 'rpc://',
    task_serializer: 'json',
    result_serializer: 'json',
    accept_content: ['json'],
    task_acks_late: true,
    worker_concurrency: options.concurrency,
    worker_prefetch_multiplier: options.prefetchMultiplier,
    worker_send_task_events: ctx.events?.taskEvents ?? false,
    worker_enable_remote_control: true,
    event_exchange: EVENT_EXCHANGE,
    task_queues: options.queues,
    worker_hostname: options.hostname,
    worker_shutdown_grace_seconds: options.shutdownGraceSeconds,
  };
}
