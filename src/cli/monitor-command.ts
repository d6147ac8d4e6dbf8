import {
  BROKER_ENV,
  MONITOR_ALLOWED_HOSTS_ENV,
  MONITOR_AUTH_FILE_ENV,
  MONITOR_SECURE_COOKIE_ENV,
  getMonitorSettings,
} from '../config/configuration.js';
import { MonitorAuthError } from '../monitor/auth/auth-error.js';
import { hashPassword } from '../monitor/auth/password-hash.js';
import { messageOf } from '../core/errors.js';
import { redactUrl } from '../core/secrets.js';
import { DEFAULT_HOST, DEFAULT_PORT, startMonitor } from '../monitor/monitor.js';
import { IN_MEMORY, MonitorStoreError, defaultDbPath } from '../monitor/task-store.js';
import { CommandError, explainBrokerError } from './cli-error.js';
import { loadSettings, requireBroker } from './cli-config.js';
import {
  UsageError,
  formatOptions,
  parseCommandLine,
  stringValue,
  type OptionTable,
  type OptionValues,
} from './args.js';
import type { CliCommand, CliIo } from './command.js';
import { LOG_OPTIONS, commandLogger, logFlagsOf } from './log-options.js';
import { BROKER_TLS_OPTIONS, brokerTlsFromFlags } from './broker-tls-flags.js';
import type { BrokerTlsOptions } from '../config/broker-tls.js';

const OPTIONS: OptionTable = {
  port: {
    type: 'string',
    short: 'p',
    valueName: 'PORT',
    description: `the HTTP port (default ${DEFAULT_PORT}; 0 picks a free one)`,
  },
  host: {
    type: 'string',
    valueName: 'HOST',
    description: `the address to listen on (default ${DEFAULT_HOST}; 0.0.0.0 for every interface)`,
  },
  db: {
    type: 'string',
    valueName: 'PATH',
    description: `the SQLite history (default ${defaultDbPath()}); ${IN_MEMORY} keeps none`,
  },
  broker: {
    type: 'string',
    short: 'b',
    valueName: 'URL',
    description: `the broker (default: $${BROKER_ENV} or 'longshore config get broker'), e.g. amqp://guest:guest@localhost:5672//`,
  },
  ...BROKER_TLS_OPTIONS,
  'auth-file': {
    type: 'string',
    valueName: 'FILE',
    description: `users and tokens who may log in (default $${MONITOR_AUTH_FILE_ENV}); needed beyond loopback`,
  },
  'allowed-host': {
    type: 'string',
    multiple: true,
    valueName: 'NAME',
    description: `another name (or name:port) the monitor answers to in Host, e.g. a proxy's; repeatable (also $${MONITOR_ALLOWED_HOSTS_ENV}, comma-separated)`,
  },
  'secure-cookie': {
    type: 'boolean',
    description: `mark the login cookie Secure: the dashboard is served over https by a proxy (also $${MONITOR_SECURE_COOKIE_ENV}=true)`,
  },
  'hash-password': {
    type: 'string',
    valueName: 'USER',
    description: "read a password from stdin and print the auth file's line for USER, then exit",
  },
  ...LOG_OPTIONS,
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export function monitorHelp(): string {
  return `\
Usage: longshore monitor [OPTIONS]

Watch every worker on a broker (longshore's and Python Celery's, started with -E) through
Celery's events, keep the tasks' history in SQLite, and serve a live dashboard and a JSON API.

Options:
${formatOptions(OPTIONS)}

API (JSON):
  GET  /api/tasks?user=U&group=G&state=S&limit=N   tasks, newest first (limit 100)
  GET  /api/tasks/ID                               one task, with the tail of its log
  POST /api/tasks/ID/cancel                        revoke it, stopping its container
  GET  /api/workers                                workers, online or not
  WS   /ws                                         a snapshot, then live updates

Login: without --auth-file anyone who reaches the port may read and cancel, so the monitor
listens beyond loopback only with one. Its lines:
  user NAME scrypt$...     from: printf '%s' 'PASSWORD' | longshore monitor --hash-password NAME
  token sha256:HEX         a token's SHA-256: printf '%s' "$TOKEN" | sha256sum
  token TOKEN              a token in clear (32 characters or more, e.g. openssl rand -hex 32)
API clients send 'Authorization: Bearer TOKEN' (longshore status and jobs: $LONGSHORE_MONITOR_TOKEN).

Runs until SIGINT or SIGTERM; the history is saved then (and every second while it changes).

Examples:
  longshore monitor --broker amqp://guest:guest@localhost:5672//
  longshore monitor --port 8080 --host 0.0.0.0 --auth-file /etc/longshore/monitor.auth \\
    --allowed-host monitor.example.org --db /var/lib/longshore/monitor.sqlite
`;
}

export interface MonitorInvocation {
  broker: string;
  brokerTls?: BrokerTlsOptions;
  port: number;
  host: string;
  dbPath: string;
  authFile?: string;
  allowedHosts: string[];
  secureCookie: boolean;
  /** --log-level and --log-format, when given. */
  logFlags?: OptionValues;
}

/** Reads `longshore monitor`'s arguments; undefined means --help. Throws UsageError for bad usage. */
export function parseMonitorArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): MonitorInvocation | undefined {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) return undefined;
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const settings = getMonitorSettings(env);
  const authFile = stringValue(values['auth-file']) ?? settings.authFile;
  if (authFile !== undefined && authFile.trim() === '') throw new UsageError('invalid --auth-file: empty');
  const flagged = values['allowed-host'];
  const allowedHosts = [...settings.allowedHosts, ...(Array.isArray(flagged) ? flagged.map(String) : [])];
  for (const name of allowedHosts) {
    if (name.trim() === '' || /[\s/?#@]/.test(name)) {
      throw new UsageError(`invalid --allowed-host '${name}': expected a host name or name:port`);
    }
  }
  const secureCookie = values['secure-cookie'] === true || settings.secureCookie;
  const flag = stringValue(values.broker);
  const broker = flag ?? requireBroker(loadSettings(env).settings, 'monitor');
  if (!/^amqps?:\/\//.test(broker)) {
    throw new UsageError(`invalid --broker '${redactUrl(broker)}': expected an amqp:// or amqps:// URL`);
  }
  const portText = stringValue(values.port);
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText) || Number(portText) > 65_535) {
      throw new UsageError(`invalid --port '${portText}': expected a number from 0 to 65535`);
    }
    port = Number(portText);
  }
  const host = stringValue(values.host) ?? DEFAULT_HOST;
  if (host.trim() === '') throw new UsageError('invalid --host: empty');
  const dbPath = stringValue(values.db) ?? defaultDbPath(env);
  if (dbPath.trim() === '') throw new UsageError('invalid --db: empty');
  const brokerTls = brokerTlsFromFlags(values, loadSettings(env).settings, cwd);
  return {
    broker,
    ...(brokerTls ? { brokerTls } : {}),
    port,
    host,
    dbPath,
    ...(authFile === undefined ? {} : { authFile }),
    allowedHosts,
    secureCookie,
    ...logFlagsOf(values),
  };
}

/** The first line of stdin (a password piped in; nothing echoes it to a terminal). */
async function readFirstLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

async function runMonitor(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandLine(argv, OPTIONS);
  const user = stringValue(values['hash-password']);
  if (user !== undefined && values.help !== true) {
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(user)) {
      throw new UsageError(`invalid --hash-password '${user}': expected a name of letters, digits, . _ @ -`);
    }
    const password = await readFirstLine();
    if (password === '') throw new UsageError('--hash-password: no password on stdin');
    io.stdout.write(`user ${user} ${await hashPassword(password)}\n`);
    return 0;
  }
  const invocation = parseMonitorArgs(argv, io.env, io.cwd);
  if (!invocation) {
    io.stdout.write(monitorHelp());
    return 0;
  }
  const { logFlags, authFile, allowedHosts, secureCookie, ...options } = invocation;
  const logger = commandLogger(logFlags ?? {}, io);
  let monitor: Awaited<ReturnType<typeof startMonitor>>;
  try {
    monitor = await startMonitor({
      ...options,
      allowedHosts,
      ...(authFile === undefined ? {} : { auth: { file: authFile, secureCookie } }),
      logger,
    });
  } catch (error) {
    throw explainStartError(error, invocation);
  }
  io.stdout.write(`Monitor at ${monitor.url}\n`);
  let onSignal!: (signal: NodeJS.Signals) => void;
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  io.stderr.write(`longshore monitor: ${signal} received: saving and stopping\n`);
  await monitor.close();
  return 0;
}

/** Why the monitor could not start, as one line that says what to do. */
function explainStartError(error: unknown, invocation: MonitorInvocation): unknown {
  if (error instanceof MonitorStoreError || error instanceof MonitorAuthError) {
    return new CommandError(error.message);
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  const where = `${invocation.host}:${invocation.port}`;
  if (code === 'EADDRINUSE') {
    return new CommandError(
      `cannot listen on ${where}: the port is in use (another monitor?); give --port another`,
    );
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new CommandError(`cannot listen on ${where}: ${messageOf(error)}; check --host and --port`);
  }
  return explainBrokerError(error);
}

export const monitorCommand: CliCommand = {
  name: 'monitor',
  help: monitorHelp,
  run: runMonitor,
};
