import type { Logger } from '../core/logger.js';
import { availableParallelism, hostname as osHostname } from 'node:os';
import { z } from 'zod';
import { brokerUrlSchema, getConfiguration } from '../config/configuration.js';
import { brokerTlsSchema, type BrokerTlsOptions } from '../config/broker-tls.js';
import { parseOrThrow } from '../core/parse.js';
import { DEFAULT_QUEUE } from '../celery/amqp/task-queue.js';
import type { TaskRegistry } from '../app/task-registry.js';
import type { WorkerEventSink } from '../celery/events/event-sink.js';
import type { WorkerPolicyInput } from '../docker-run/policy/policy-schema.js';

export interface WorkerOptions {
  /** The AMQP URL (Celery's `amqp://guest:guest@localhost:5672//` form works). */
  broker: string;
  /**
   * TLS for an amqps:// broker, used by every connection of the worker (tasks, results, events,
   * remote control). Default: `configure({ brokerTls })`, then LONGSHORE_BROKER_CA / _CERT / _KEY
   * / _SERVERNAME.
   */
  brokerTls?: BrokerTlsOptions | undefined;
  /** Tasks run at the same time (default: the number of CPUs). */
  concurrency?: number;
  /** Queues to consume (default `['celery']`). */
  queues?: string[];
  /** The node name (default `longshore@<host>`): its control queue is `<hostname>.celery.pidbox`. */
  hostname?: string;
  /** Unacknowledged messages per task slot (default 1: acks happen after a task ends). */
  prefetchMultiplier?: number;
  /** Seconds running tasks get to finish on a graceful stop before their containers are stopped (default 60). */
  shutdownGraceSeconds?: number;
  /** The tasks served (default: `app`, plus dockerRun). */
  registry?: TaskRegistry;
  /** More places task events go (metrics...), besides Celery's events on the broker. */
  events?: WorkerEventSink[];
  /**
   * Publish Celery events on the broker (default true): worker-online, a heartbeat every 2 s and
   * worker-offline, which Flower and `celery events` need to see the worker at all, and the task
   * events while they are enabled. false publishes nothing (enable_events then has no effect).
   */
  sendEvents?: boolean;
  /**
   * Send task events (received, started, succeeded, failed...) from the start (default true;
   * Celery's default is off, with -E to turn them on). A monitor switches them with the
   * enable_events / disable_events commands (Flower sends enable_events every 5 s).
   */
  taskEvents?: boolean;
  /**
   * The worker's logger: one line per task received / succeeded / failed, connection changes
   * (default: the process's, on stderr). Every line carries the worker's hostname.
   */
  logger?: Logger;
  /**
   * What docker_run messages may ask of this host: a policy file (JSON) or the policy itself.
   * Default: the configured file (`configure({ policy })`, LONGSHORE_WORKER_POLICY), else the
   * secure default (README, "Worker policy").
   */
  policy?: string | WorkerPolicyInput;
}

export interface ResolvedWorkerOptions {
  broker: string;
  brokerTls: BrokerTlsOptions | undefined;
  concurrency: number;
  queues: string[];
  hostname: string;
  prefetchMultiplier: number;
  shutdownGraceSeconds: number;
  sendEvents: boolean;
  taskEvents: boolean;
}

const QUEUE = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s,]+$/, 'expected a queue name (no spaces or commas)');

const schema = z.looseObject({
  broker: brokerUrlSchema,
  brokerTls: brokerTlsSchema.optional(),
  concurrency: z.number().int().min(1).max(1024).optional(),
  queues: z.array(QUEUE).min(1, 'expected at least one queue').optional(),
  hostname: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\s]+$/, 'expected a node name without spaces')
    .optional(),
  prefetchMultiplier: z.number().int().min(1).max(1000).optional(),
  shutdownGraceSeconds: z.number().nonnegative().finite().optional(),
  sendEvents: z.boolean().optional(),
  taskEvents: z.boolean().optional(),
});

export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  const parsed = parseOrThrow(schema, options, 'worker');
  return {
    broker: parsed.broker,
    brokerTls: parsed.brokerTls ?? getConfiguration().brokerTls,
    concurrency: parsed.concurrency ?? availableParallelism(),
    queues: [...new Set(parsed.queues ?? [DEFAULT_QUEUE])],
    hostname: parsed.hostname ?? `longshore@${osHostname()}`,
    prefetchMultiplier: parsed.prefetchMultiplier ?? 1,
    shutdownGraceSeconds: parsed.shutdownGraceSeconds ?? 60,
    sendEvents: parsed.sendEvents ?? true,
    taskEvents: parsed.taskEvents ?? true,
  };
}
