import { redact } from '../../core/secrets.js';

/**
 * The text a task adds to its Girder job's log besides the container's output: lines in Girder
 * Worker's logger format (`[time] LEVEL: message`), and errors with their causes. Everything
 * goes through `redact`: a job log is read by people who must never see a token.
 */

export type LogLevel = 'INFO' | 'WARNING' | 'ERROR';

/** One line of the worker's own, newline-terminated. */
export function logLine(level: LogLevel, message: string, now: Date = new Date()): string {
  return redact(`[${formatTime(now)}] ${level}: ${message.replace(/\s+$/, '')}\n`);
}

/** `2024-05-01 12:00:00,123`: Python logging's asctime, as in Girder Worker's job logs (UTC here). */
function formatTime(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)},${iso.slice(20, 23)}`;
}

const MAX_CAUSES = 10;

/**
 * `Name: message` and then each cause (`Caused by: Name: message`), as Girder Worker writes
 * `ExcClass: message` and the traceback before a job's ERROR.
 */
export function describeError(error: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth <= MAX_CAUSES; depth++) {
    if (seen.has(current)) break;
    seen.add(current);
    lines.push(`${depth === 0 ? '' : 'Caused by: '}${headline(current)}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return redact(`${lines.join('\n')}\n`);
}

function headline(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
