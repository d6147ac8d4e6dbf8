import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  BROKER_CA_ENV,
  BROKER_CERT_ENV,
  BROKER_ENV,
  BROKER_KEY_ENV,
  BROKER_SERVERNAME_ENV,
  GIRDER_API_KEY_ENV,
  GIRDER_API_URL_ENV,
  TMP_ROOT_ENV,
  absolutePathSchema,
  configure,
} from '../config/configuration.js';
import { redactUrl } from '../core/secrets.js';
import { parseOrThrow } from '../core/parse.js';
import { brokerTlsFields, brokerTlsSchema, isEmptyTls, type BrokerTlsOptions } from '../config/broker-tls.js';
import { CommandError } from './cli-error.js';

/** The CLI's settings: a JSON file, then environment variables over it. */
export interface CliSettings {
  broker?: string;
  'brokerTls.ca'?: string;
  'brokerTls.cert'?: string;
  'brokerTls.key'?: string;
  'brokerTls.servername'?: string;
  resultBackend?: 'rpc://';
  'girder.apiUrl'?: string;
  'girder.apiKey'?: string;
  tmpRoot?: string;
  defaultQueue?: string;
  concurrency?: number;
  tasks?: string[];
  monitorUrl?: string;
}

export type SettingKey = keyof CliSettings;

export const DEFAULT_MONITOR_URL = 'http://127.0.0.1:5555';
export const CONFIG_FILE_ENV = 'LONGSHORE_CONFIG';

const nonEmpty = (what: string) =>
  z.string(`expected ${what}`).min(1, `expected ${what}`).regex(/^\S+$/, `expected ${what}`);
const httpUrl = z
  .string('expected an http:// or https:// URL')
  .regex(/^https?:\/\/\S+$/, 'expected an http:// or https:// URL')
  .refine((url) => URL.canParse(url), 'expected an http:// or https:// URL');

/** Each key: its schema (on the JSON value), how text from the command line or env becomes it, and env. */
interface SettingSpec {
  schema: z.ZodType;
  fromText(text: string): unknown;
  env?: string;
  secret?: boolean;
  description: string;
}

const asText = (text: string): unknown => text;

export const SETTINGS: Record<SettingKey, SettingSpec> = {
  broker: {
    schema: z
      .string('expected an amqp:// or amqps:// URL')
      .regex(/^amqps?:\/\/\S*$/, 'expected an amqp:// or amqps:// URL')
      .refine((url) => URL.canParse(url), 'expected an amqp:// or amqps:// URL'),
    fromText: asText,
    env: BROKER_ENV,
    description: 'the RabbitMQ URL, e.g. amqp://guest:guest@localhost:5672//',
  },
  'brokerTls.ca': {
    schema: brokerTlsFields.ca,
    fromText: asText,
    env: BROKER_CA_ENV,
    description: "the CA certificate (PEM file) the broker's must chain to, for amqps://",
  },
  'brokerTls.cert': {
    schema: brokerTlsFields.cert,
    fromText: asText,
    env: BROKER_CERT_ENV,
    description: 'a client certificate (PEM file) to present to the broker; needs brokerTls.key',
  },
  'brokerTls.key': {
    schema: brokerTlsFields.key,
    fromText: asText,
    env: BROKER_KEY_ENV,
    description: "the client certificate's private key (PEM file, not encrypted)",
  },
  'brokerTls.servername': {
    schema: brokerTlsFields.servername,
    fromText: asText,
    env: BROKER_SERVERNAME_ENV,
    description: "the name the broker's certificate must carry, when not the URL's host",
  },
  resultBackend: {
    schema: z.literal('rpc://', 'expected rpc:// (the only result backend supported)'),
    fromText: asText,
    description: "where results go: rpc:// (Celery's rpc backend)",
  },
  'girder.apiUrl': {
    schema: httpUrl,
    fromText: asText,
    env: GIRDER_API_URL_ENV,
    description: "Girder's API URL, e.g. http://localhost:8080/api/v1",
  },
  'girder.apiKey': {
    schema: nonEmpty('a Girder API key'),
    fromText: asText,
    env: GIRDER_API_KEY_ENV,
    secret: true,
    description: 'a Girder API key (masked by list)',
  },
  tmpRoot: {
    schema: absolutePathSchema,
    fromText: asText,
    env: TMP_ROOT_ENV,
    description: "where tasks' temporary directories go (an absolute path)",
  },
  defaultQueue: {
    schema: nonEmpty('a queue name without spaces'),
    fromText: asText,
    env: 'LONGSHORE_QUEUE',
    description: 'the queue submit sends to and worker consumes (default celery)',
  },
  concurrency: {
    schema: z
      .number('expected a positive integer')
      .int('expected a positive integer')
      .min(1, 'expected a positive integer')
      .max(1024, 'expected a positive integer up to 1024'),
    fromText: (text) => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : text),
    env: 'LONGSHORE_CONCURRENCY',
    description: "the worker's task slots (default: the number of CPUs)",
  },
  tasks: {
    schema: z.array(nonEmpty('a module path or name'), 'expected a list of modules'),
    fromText: (text) =>
      text
        .split(',')
        .map((m) => m.trim())
        .filter((m) => m !== ''),
    description: 'ES modules the worker loads for their tasks, comma-separated',
  },
  monitorUrl: {
    schema: httpUrl,
    fromText: asText,
    env: 'LONGSHORE_MONITOR_URL',
    description: `where 'longshore monitor' answers (default ${DEFAULT_MONITOR_URL})`,
  },
};

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

/** `$LONGSHORE_CONFIG`, else `$XDG_CONFIG_HOME/longshore/config.json`, else `~/.config/longshore/config.json`. */
export function configFilePath(env: NodeJS.ProcessEnv): string {
  const explicit = env[CONFIG_FILE_ENV]?.trim();
  if (explicit) return path.resolve(explicit);
  const base = env.XDG_CONFIG_HOME?.trim() || path.join(env.HOME?.trim() || homedir(), '.config');
  return path.join(base, 'longshore', 'config.json');
}

function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

/** Checks one value; a bad one is a CommandError naming the key, what was expected and what came. */
export function checkSetting(key: SettingKey, value: unknown, origin?: string): unknown {
  const result = SETTINGS[key].schema.safeParse(value);
  if (result.success) return result.data;
  const expected = result.error.issues[0]?.message ?? 'a valid value';
  const where = origin ? ` (${origin})` : '';
  throw new CommandError(`${key}${where}: ${expected}, got ${shown(value)}`);
}

/** The file's settings, flat (`girder.apiUrl`); an absent file is an empty one. */
export function readConfigFile(file: string): CliSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CommandError(`cannot read the config file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CommandError(`the config file ${file} is not JSON; fix it or remove it`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CommandError(`the config file ${file} must hold a JSON object`);
  }
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (NESTED.has(key) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [sub, v] of Object.entries(value)) flat[`${key}.${sub}`] = v;
    } else flat[key] = value;
  }
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    if (!isSettingKey(key)) {
      throw new CommandError(
        `unknown key '${key}' in the config file ${file} (known: ${SETTING_KEYS.join(', ')})`,
      );
    }
    settings[key] = checkSetting(key, value, file);
  }
  return settings;
}

/** Keys written as objects in the file (`girder.apiUrl` is `{"girder": {"apiUrl": ...}}`). */
const NESTED = new Set(['girder', 'brokerTls']);

/** Writes the settings (nested: `{"girder": {"apiUrl": ...}}`) atomically, readable by the owner only (it may hold a key). */
export function writeConfigFile(file: string, settings: CliSettings): void {
  const nested: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value = settings[key];
    if (value === undefined) continue;
    const [group, sub] = key.split('.');
    if (sub !== undefined && NESTED.has(group!)) {
      const object = (nested[group!] ??= {}) as Record<string, unknown>;
      object[sub] = value;
    } else nested[key] = value;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(nested, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/** Settings from the environment (each named in an error by its variable). */
export function settingsFromEnv(env: NodeJS.ProcessEnv): CliSettings {
  const settings: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const name = SETTINGS[key].env;
    const text = name ? env[name]?.trim() : undefined;
    if (text) settings[key] = checkSetting(key, SETTINGS[key].fromText(text), name);
  }
  return settings;
}

export interface LoadedSettings {
  file: string;
  /** The file's values, then the environment's over them. */
  settings: CliSettings;
  /** Where each value came from: the file or a variable's name. */
  origins: Partial<Record<SettingKey, string>>;
}

let loaded: LoadedSettings | undefined;
let loadedFor: NodeJS.ProcessEnv | undefined;

/** Loads the file and the environment once per process (each command reads the same settings). */
export function loadSettings(env: NodeJS.ProcessEnv): LoadedSettings {
  if (loaded && loadedFor === env) return loaded;
  const file = configFilePath(env);
  const fromFile = readConfigFile(file);
  const fromEnv = settingsFromEnv(env);
  const origins: Partial<Record<SettingKey, string>> = {};
  for (const key of Object.keys(fromFile) as SettingKey[]) origins[key] = file;
  for (const key of Object.keys(fromEnv) as SettingKey[]) origins[key] = SETTINGS[key].env!;
  loaded = { file, settings: { ...fromFile, ...fromEnv }, origins };
  loadedFor = env;
  return loaded;
}

/** A value for display: secrets masked, a broker's password hidden. */
export function displayValue(key: SettingKey, value: unknown): string {
  if (SETTINGS[key].secret && typeof value === 'string')
    return value.length > 4 ? `${value.slice(0, 2)}…(masked)` : '(masked)';
  if (key === 'broker' && typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** The broker to use, or a CommandError saying how to give one. */
export function requireBroker(settings: CliSettings, command: string): string {
  if (settings.broker) return settings.broker;
  throw new CommandError(
    `no broker configured: set one with 'longshore config set broker amqp://USER:PASS@HOST:5672//' or $LONGSHORE_BROKER_URL`,
    command === 'worker' ? 2 : 1,
  );
}

/** The TLS settings as one object (undefined when none is set); a key without its certificate fails here. */
export function brokerTlsOf(settings: CliSettings): BrokerTlsOptions | undefined {
  const tls = {
    ca: settings['brokerTls.ca'],
    cert: settings['brokerTls.cert'],
    key: settings['brokerTls.key'],
    servername: settings['brokerTls.servername'],
  };
  return isEmptyTls(tls) ? undefined : parseOrThrow(brokerTlsSchema, tls, 'brokerTls');
}

/**
 * Hands the settings to the library (`configure()` for the broker and Girder, the temporary
 * root through its variable), for commands that run or send tasks.
 */
export function applySettings(
  settings: CliSettings,
  env: NodeJS.ProcessEnv,
  brokerTls: BrokerTlsOptions | undefined = brokerTlsOf(settings),
): void {
  const apiUrl = settings['girder.apiUrl'];
  const apiKey = settings['girder.apiKey'];
  configure({
    broker: settings.broker,
    brokerTls,
    girder: apiUrl ? { apiUrl, ...(apiKey ? { apiKey } : {}) } : undefined,
    // The settings already hold the environment over the file.
    tmpRoot: settings.tmpRoot ?? env[TMP_ROOT_ENV],
  });
}
