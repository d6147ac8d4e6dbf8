import { tmpdir } from 'node:os';
import { z } from 'zod';
import { girderClientOptionsSchema, type GirderClientOptions } from './girder-settings.js';
import {
  brokerTlsFields,
  brokerTlsSchema,
  isEmptyTls,
  missingPairField,
  type BrokerTlsOptions,
} from './broker-tls.js';
import { proxySettingsFromEnv, type ProxySettings } from './girder-network.js';
import { registerSecret } from '../core/secrets.js';
import { parseOrThrow } from '../core/parse.js';
import { ValidationError } from '../core/errors.js';
import { LOG_FORMATS, LOG_LEVELS, parseLogLevel, type LogFormat, type LogLevel } from '../core/logger.js';

/**
 * The one place longshore's settings are read: what `configure()` set, then the environment
 * (every variable longshore reads is named below), then the defaults. With no broker, tasks run
 * in this process; with one, `delay()` / `applyAsync()` send them to workers over it.
 *
 *   configure({ broker: 'amqp://guest:guest@localhost:5672//' })   // or LONGSHORE_BROKER_URL
 *   configure({ broker: 'amqps://user:pw@broker.example.org:5671//', brokerTls: { ca: '/etc/ssl/site-ca.pem' } })
 */
export interface LongshoreConfig {
  /** An AMQP URL (amqp:// or amqps://). Celery's trailing `//` (the "/" vhost) is understood. */
  broker?: string | undefined;
  /**
   * TLS to an amqps:// broker: a CA, a client certificate and key, the name to check (see
   * BrokerTlsOptions). Celery's `broker_use_ssl` names are understood too.
   */
  brokerTls?: BrokerTlsOptions | undefined;
  /** Where results go: only Celery's `rpc://` backend for now (replies to the sender). */
  resultBackend?: 'rpc://' | undefined;
  /** The Girder that tasks read from and write to, and where `girderJob*` options create jobs. */
  girder?: GirderConfig | undefined;
  /** Where tasks' temporary directories go (an absolute path; default the OS temp directory). */
  tmpRoot?: string | undefined;
  /** The Docker engine's socket (default: DOCKER_HOST, else /var/run/docker.sock). */
  dockerSocket?: string | undefined;
  /** The process's default logger: its level (default info) and format (default pretty). */
  logLevel?: LogLevel | undefined;
  logFormat?: LogFormat | undefined;
  /**
   * A worker policy file (JSON, see docker-run/policy): what docker_run messages may ask. A
   * worker without one applies the secure default; in-process runs check only when one is named.
   */
  policy?: string | undefined;
  /**
   * Whether bytes may move outside Node (default true): `cat`, `splice` and `sendfile` in `perl`
   * children, and pipes grown by one. false: every transfer goes through Node's streams and HTTP
   * client, the portable path.
   */
  directIo?: boolean | undefined;
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
  /** undefined when nothing is set. */
  brokerTls: BrokerTlsOptions | undefined;
  resultBackend: 'rpc://';
  girder: GirderConfig | undefined;
  tmpRoot: string;
  dockerSocket: string | undefined;
  /** DOCKER_HOST's socket path when it names a unix socket (the worker policy refuses to mount it). */
  dockerHostSocket: string | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** The worker policy file, when one is named. */
  policy: string | undefined;
  /** Whether bytes may move outside Node (see LongshoreConfig.directIo). */
  directIo: boolean;
  /** Celery's worker_revokes_max and worker_revoke_expires (seconds), from Celery's variables. */
  revokes: { max: number; expiresSeconds: number };
  /** `longshore monitor`'s login and names, and the token the CLI sends to a monitor. */
  monitor: MonitorSettings;
  /** docker_run's defaults as JSON text, longshore's own and Girder Worker's (parsed in docker-run/). */
  dockerRunDefaults: { longshore: string | undefined; girderWorker: string | undefined };
}

export interface MonitorSettings {
  /** The monitor's auth file (users and tokens); none: no login (loopback only). */
  authFile: string | undefined;
  /** More `Host` names the monitor answers to. */
  allowedHosts: string[];
  /** The session cookie is `Secure` (the dashboard is served over https by a proxy). */
  secureCookie: boolean;
  /** The bearer token `longshore status` and `jobs` send to the monitor. */
  token: string | undefined;
}

export const BROKER_ENV = 'LONGSHORE_BROKER_URL';
export const BROKER_CA_ENV = 'LONGSHORE_BROKER_CA';
export const BROKER_CERT_ENV = 'LONGSHORE_BROKER_CERT';
export const BROKER_KEY_ENV = 'LONGSHORE_BROKER_KEY';
export const BROKER_SERVERNAME_ENV = 'LONGSHORE_BROKER_SERVERNAME';
export const MONITOR_AUTH_FILE_ENV = 'LONGSHORE_MONITOR_AUTH_FILE';
export const MONITOR_ALLOWED_HOSTS_ENV = 'LONGSHORE_MONITOR_ALLOWED_HOSTS';
export const MONITOR_SECURE_COOKIE_ENV = 'LONGSHORE_MONITOR_SECURE_COOKIE';
export const MONITOR_TOKEN_ENV = 'LONGSHORE_MONITOR_TOKEN';
export const GIRDER_API_URL_ENV = 'LONGSHORE_GIRDER_API_URL';
export const GIRDER_API_KEY_ENV = 'LONGSHORE_GIRDER_API_KEY';
export const GIRDER_TOKEN_ENV = 'LONGSHORE_GIRDER_TOKEN';
export const GIRDER_CA_ENV = 'LONGSHORE_GIRDER_CA';
export const TMP_ROOT_ENV = 'LONGSHORE_TMP_ROOT';
export const DOCKER_SOCKET_ENV = 'LONGSHORE_DOCKER_SOCKET';
export const LOG_LEVEL_ENV = 'LONGSHORE_LOG_LEVEL';
export const LOG_FORMAT_ENV = 'LONGSHORE_LOG_FORMAT';
export const WORKER_POLICY_ENV = 'LONGSHORE_WORKER_POLICY';
export const DIRECT_IO_ENV = 'LONGSHORE_DIRECT_IO';
export const REVOKES_MAX_ENV = 'CELERY_WORKER_REVOKES_MAX';
export const REVOKE_EXPIRES_ENV = 'CELERY_WORKER_REVOKE_EXPIRES';
export const DOCKER_RUN_OPTIONS_ENV = 'LONGSHORE_DOCKER_RUN_OPTIONS';
export const GIRDER_WORKER_DOCKER_RUN_OPTIONS_ENV = 'GIRDER_WORKER_DOCKER_RUN_OPTIONS';

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

export const absolutePathSchema = z
  .string('expected an absolute path')
  .regex(/^\//, 'expected an absolute path');
export const logLevelSchema = z.preprocess(
  (value) => (typeof value === 'string' ? (parseLogLevel(value) ?? value) : value),
  z.enum(LOG_LEVELS, `expected one of ${LOG_LEVELS.join(', ')} (or Celery's WARNING, CRITICAL)`),
);
export const logFormatSchema = z.enum(LOG_FORMATS, `expected one of ${LOG_FORMATS.join(', ')}`);
const DIRECT_IO_OFF = ['off', '0', 'false', 'no'];
const DIRECT_IO_ON = ['on', 'auto', '1', 'true', 'yes'];
/** `auto`, the default, is `on`: each transfer still falls back to Node where a child cannot run. */
export const directIoSchema = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
  z
    .enum([...DIRECT_IO_ON, ...DIRECT_IO_OFF], 'expected on, auto or off (or true/false, 1/0, yes/no)')
    .transform((value) => !DIRECT_IO_OFF.includes(value)),
);

const configSchema = z.strictObject({
  broker: brokerUrlSchema.optional(),
  brokerTls: brokerTlsSchema.optional(),
  resultBackend: z.literal('rpc://', 'only the rpc:// result backend is supported').optional(),
  girder: girderConfigSchema.optional(),
  tmpRoot: absolutePathSchema.optional(),
  dockerSocket: absolutePathSchema.optional(),
  logLevel: logLevelSchema.optional(),
  logFormat: logFormatSchema.optional(),
  policy: absolutePathSchema.optional(),
  directIo: z.boolean('expected true or false').optional(),
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
    brokerTls: current.brokerTls ?? brokerTlsFromEnv(env),
    resultBackend: current.resultBackend ?? 'rpc://',
    girder: current.girder ?? girderFromEnv(env),
    tmpRoot: current.tmpRoot ?? envSetting(env, TMP_ROOT_ENV, absolutePathSchema) ?? tmpdir(),
    dockerSocket: current.dockerSocket ?? envSetting(env, DOCKER_SOCKET_ENV, absolutePathSchema),
    dockerHostSocket: /^unix:\/\//.test(env.DOCKER_HOST ?? '')
      ? env.DOCKER_HOST!.slice('unix://'.length)
      : undefined,
    logLevel: current.logLevel ?? envSetting(env, LOG_LEVEL_ENV, logLevelSchema) ?? 'info',
    logFormat: current.logFormat ?? envSetting(env, LOG_FORMAT_ENV, logFormatSchema) ?? 'pretty',
    policy: current.policy ?? envSetting(env, WORKER_POLICY_ENV, absolutePathSchema),
    directIo: getDirectIoSetting(env),
    revokes: {
      // As Celery: a value that is not a positive number leaves the default.
      max: positiveNumber(env[REVOKES_MAX_ENV]) ?? 50_000,
      expiresSeconds: positiveNumber(env[REVOKE_EXPIRES_ENV]) ?? 10_800,
    },
    monitor: getMonitorSettings(env),
    dockerRunDefaults: {
      longshore: env[DOCKER_RUN_OPTIONS_ENV],
      girderWorker: env[GIRDER_WORKER_DOCKER_RUN_OPTIONS_ENV],
    },
  };
}

function envSetting<T>(env: NodeJS.ProcessEnv, name: string, schema: z.ZodType<T>): T | undefined {
  const text = env[name]?.trim();
  return text ? parseOrThrow(schema, text, name) : undefined;
}

/**
 * Whether bytes may move outside Node: `configure({ directIo })`, then LONGSHORE_DIRECT_IO, then
 * on. Alone, so that a transfer asks without validating every other setting.
 */
export function getDirectIoSetting(env: NodeJS.ProcessEnv = process.env): boolean {
  return current.directIo ?? envSetting(env, DIRECT_IO_ENV, directIoSchema) ?? true;
}

const booleanTextSchema = z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'expected true or false');

/** The monitor's settings alone (what `getConfiguration().monitor` says), from the environment. */
export function getMonitorSettings(env: NodeJS.ProcessEnv = process.env): MonitorSettings {
  const token = env[MONITOR_TOKEN_ENV]?.trim() || undefined;
  registerSecret(token);
  const secure = envSetting(env, MONITOR_SECURE_COOKIE_ENV, booleanTextSchema);
  return {
    authFile: envSetting(env, MONITOR_AUTH_FILE_ENV, z.string()),
    allowedHosts: (env[MONITOR_ALLOWED_HOSTS_ENV] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
    secureCookie: secure === 'true' || secure === '1' || secure === 'yes',
    token,
  };
}

function positiveNumber(text: string | undefined): number | undefined {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

const BROKER_TLS_ENV = {
  ca: BROKER_CA_ENV,
  cert: BROKER_CERT_ENV,
  key: BROKER_KEY_ENV,
  servername: BROKER_SERVERNAME_ENV,
} as const;

function brokerTlsFromEnv(env: NodeJS.ProcessEnv): BrokerTlsOptions | undefined {
  const tls: BrokerTlsOptions = {};
  for (const [field, name] of Object.entries(BROKER_TLS_ENV) as [keyof BrokerTlsOptions, string][]) {
    const value = envSetting(env, name, brokerTlsFields[field]);
    if (value !== undefined) tls[field] = value;
  }
  if (isEmptyTls(tls)) return undefined;
  const missing = missingPairField(tls);
  if (missing) throw new ValidationError(BROKER_TLS_ENV[missing.field], undefined, missing.expected);
  return tls;
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

/**
 * How this process reaches any Girder and the object stores it redirects to (also the Girders that
 * messages name): the CA of `LONGSHORE_GIRDER_CA` and the proxies of the standard variables.
 */
export function getGirderNetwork(env: NodeJS.ProcessEnv = process.env): {
  ca: string | undefined;
  extraCaFile: string | undefined;
  proxy: ProxySettings;
} {
  return {
    ca: env[GIRDER_CA_ENV]?.trim() || undefined,
    extraCaFile: env.NODE_EXTRA_CA_CERTS?.trim() || undefined,
    proxy: proxySettingsFromEnv(env),
  };
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
