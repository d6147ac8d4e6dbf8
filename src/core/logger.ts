import { pino, stdTimeFunctions, type Logger } from 'pino';
import { redact } from './secrets.js';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Celery's level names (`-l WARNING`, `CRITICAL`), any case, and pino's, as a pino level. */
export function parseLogLevel(text: string): LogLevel | undefined {
  const name = text.trim().toLowerCase();
  const level = name === 'warning' ? 'warn' : name === 'critical' ? 'fatal' : name;
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : undefined;
}

export const LOG_FORMATS = ['pretty', 'json'] as const;
/** `json`: one pino object a line, for log collectors; `pretty`: one readable line for a person. */
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  /** Default `info`. */
  level?: LogLevel | undefined;
  /** Default `pretty`. */
  format?: LogFormat | undefined;
  /** Where lines go: a stream (default stderr), or a function given each line without its newline. */
  destination?: { write(text: string): unknown } | ((line: string) => void) | undefined;
  /** Fields on every line, such as a worker's `hostname`. */
  bindings?: Record<string, unknown> | undefined;
}

/**
 * longshore's logger: pino, leveled and structured, with every registered secret masked in the
 * finished line (whatever field it came in). Library code takes one of these from its caller;
 * `defaultLogger()` in config/ is the process's own when none is given.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'pretty';
  const write = lineWriter(options.destination ?? process.stderr);
  const destination = {
    write(chunk: string): void {
      const line = redact(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk);
      write(format === 'json' ? line : prettyLine(line));
    },
  };
  return pino(
    {
      level: options.level ?? 'info',
      base: options.bindings ?? {},
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A logger that drops everything (for code that was given none and must say nothing). */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent', destination: () => undefined });
}

function lineWriter(destination: NonNullable<LoggerOptions['destination']>): (line: string) => void {
  if (typeof destination === 'function') return destination;
  return (line) => {
    destination.write(`${line}\n`);
  };
}

/** `[time] LEVEL hostname: message key=value ...`; info lines leave the level out. */
function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { time, level, msg, hostname, ...rest } = record;
  const head = [`[${String(time)}]`];
  if (level !== 'info') head.push(String(level).toUpperCase());
  const who = typeof hostname === 'string' ? `${hostname}: ` : '';
  const message = typeof msg === 'string' ? msg : '';
  const fields = Object.entries(rest)
    // A task's lines name it already: its id is for the JSON form's readers.
    .filter(([, value]) => !(typeof value === 'string' && message.includes(value)))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${head.join(' ')} ${who}${message}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}`;
}
