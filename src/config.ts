import { z } from 'zod';
import { parseOrThrow } from './validation/parse.js';

/**
 * Process-wide configuration of the distributed mode. With no broker, tasks run in this
 * process; with one, `delay()` / `applyAsync()` send them to workers over it.
 *
 *   configure({ broker: 'amqp://guest:guest@localhost:5672//' })   // or LONGSHORE_BROKER_URL
 */
export interface LongshoreConfig {
  /** An AMQP URL (amqp:// or amqps://). Celery's trailing `//` (the "/" vhost) is understood. */
  broker?: string | undefined;
  /** Where results go: only Celery's `rpc://` backend for now (replies to the sender). */
  resultBackend?: 'rpc://' | undefined;
}

export interface ResolvedConfig {
  broker: string | undefined;
  resultBackend: 'rpc://';
}

export const BROKER_ENV = 'LONGSHORE_BROKER_URL';

export const brokerUrlSchema = z
  .string()
  .regex(/^amqps?:\/\/[^\s]*$/, 'expected an amqp:// or amqps:// URL')
  .refine((url) => URL.canParse(url), 'expected a well-formed URL');

const configSchema = z.strictObject({
  broker: brokerUrlSchema.optional(),
  resultBackend: z.literal('rpc://', 'only the rpc:// result backend is supported').optional(),
});

let current: LongshoreConfig = {};
const listeners = new Set<() => void>();

/** Sets the configuration (replacing what `configure` set before). Validated here. */
export function configure(config: LongshoreConfig): void {
  current = parseOrThrow(configSchema, stripUndefined(config), 'config');
  for (const listener of listeners) listener();
}

/** Back to nothing configured (the environment still applies); for tests. */
export function resetConfiguration(): void {
  current = {};
  for (const listener of listeners) listener();
}

/** What applies now: `configure()` first, then the environment. */
export function getConfiguration(env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const fromEnv = env[BROKER_ENV]?.trim() || undefined;
  const broker = current.broker ?? (fromEnv ? parseOrThrow(brokerUrlSchema, fromEnv, BROKER_ENV) : undefined);
  return { broker, resultBackend: current.resultBackend ?? 'rpc://' };
}

/** @internal Called when the configuration changes (the client drops its connections). */
export function onConfigurationChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function stripUndefined(config: LongshoreConfig): Record<string, unknown> {
  if (config === null || typeof config !== 'object') return config as never;
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
}
