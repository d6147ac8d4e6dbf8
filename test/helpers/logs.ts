import { createLogger, type Logger } from '../../src/core/logger.js';

/** A logger whose finished lines (pretty, as on a terminal) go into `lines`. */
export function lineLogger(lines: string[], level: 'info' | 'debug' = 'info'): Logger {
  return createLogger({ level, destination: (line) => lines.push(line) });
}
