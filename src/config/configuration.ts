import { z } from 'zod';
import { girderClientOptionsSchema, type GirderClientOptions } from './girder-settings.js';
import { registerSecret } from '../core/secrets.js';
import { parseOrThrow } from '../core/parse.js';

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
  /** The Girder that tasks read from and write to, and where `girderJob*` options create jobs. */
  girder?: GirderConfig | undefined;
}

export interface GirderConfig extends GirderClientOptions {
  /**
   * A folder that receives job artifacts when the server lacks Girder Worker's artifact route
   * (`POST job/{id}/artifact`, absent from released Girder versions).
   */
  artifactFolderId?: string | undefined;
}

export interface ResolvedConfig {
  broker: string | undefined;
  resultBackend: 'rpc://';
  girder: GirderConfig | undefined;
}

export const BROKER_ENV = 'LONGSHORE_BROKER_URL';
export const GIRDER_API_URL_ENV = 'LONGSHORE_GIRDER_API_URL';
export const GIRDER_API_KEY_ENV = 'LONGSHORE_GIRDER_API_KEY';
export const GIRDER_TOKEN_ENV = 'LONGSHORE_GIRDER_TOKEN';

export const brokerUrlSchema = z
  .string()
  .regex(/^amqps?:\/\/[^\s]*$/, 'expected an amqp:// or amqps:// URL')
  .refine((url) => URL.canParse(url), 'expected a well-formed URL');

const girderConfigSchema = girderClientOptionsSchema.extend({
  artifactFolderId: z
    .string()
    .regex(/^[0-9a-f]{24}$/, 'expected a Girder folder id')
    .optional(),
});

const configSchema = z.strictObject({
  broker: brokerUrlSchema.optional(),
  resultBackend: z.literal('rpc://', 'only the rpc:// result backend is supported').optional(),
  girder: girderConfigSchema.optional(),
});

let current: LongshoreConfig = {};
const listeners = new Set<() => void>();

/** Sets the configuration (replacing what `configure` set before). Validated here. */
export function configure(config: LongshoreConfig): void {
  current = parseOrThrow(configSchema, stripUndefined(config), 'config');
  registerSecret(current.girder?.apiKey);
  registerSecret(current.girder?.token);
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
  return {
    broker,
    resultBackend: current.resultBackend ?? 'rpc://',
    girder: current.girder ?? girderFromEnv(env),
  };
}

function girderFromEnv(env: NodeJS.ProcessEnv): GirderConfig | undefined {
  const apiUrl = env[GIRDER_API_URL_ENV]?.trim();
  if (!apiUrl) return undefined;
  const apiKey = env[GIRDER_API_KEY_ENV]?.trim() || undefined;
  const token = env[GIRDER_TOKEN_ENV]?.trim() || undefined;
  registerSecret(apiKey);
  registerSecret(token);
  return parseOrThrow(
    girderConfigSchema,
    { apiUrl, ...(apiKey ? { apiKey } : {}), ...(token ? { token } : {}) },
    GIRDER_API_URL_ENV,
  );
}

/** @internal Called when the configuration changes (the client drops its connections). */
export function onConfigurationChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function stripUndefined(config: LongshoreConfig): Record<string, unknown> {
  if (config === null || typeof config !== 'object') return config;
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
}
