import { LOG_FORMATS, LOG_LEVELS, createLogger, parseLogLevel, type Logger } from '../core/logger.js';
import { getConfiguration } from '../config/configuration.js';
import { UsageError, stringValue, type OptionTable, type OptionValues } from './args.js';
import type { CliIo } from './command.js';

/** `--log-level` and `--log-format`, for the commands that run for long (worker, monitor). */
export const LOG_OPTIONS: OptionTable = {
  'log-level': {
    type: 'string',
    short: 'l',
    valueName: 'LEVEL',
    description: `${LOG_LEVELS.join(', ')}, or Celery's names (default: $LONGSHORE_LOG_LEVEL, else info)`,
  },
  'log-format': {
    type: 'string',
    valueName: 'FORMAT',
    description: `${LOG_FORMATS.join(' or ')}: one JSON object a line for a log collector (default: $LONGSHORE_LOG_FORMAT, else pretty)`,
  },
};

/** The logging flags among a command's values, as `{ logFlags }` when any was given. */
export function logFlagsOf(values: OptionValues): { logFlags?: OptionValues } {
  const given = Object.keys(LOG_OPTIONS).filter((key) => values[key] !== undefined);
  return given.length === 0 ? {} : { logFlags: Object.fromEntries(given.map((key) => [key, values[key]])) };
}

/** The command's logger on stderr: the flags first, then the settings (environment, configure). */
export function commandLogger(values: OptionValues, io: CliIo): Logger {
  const configured = getConfiguration(io.env);
  const levelText = stringValue(values['log-level']);
  const level = levelText === undefined ? configured.logLevel : parseLogLevel(levelText);
  if (!level) {
    throw new UsageError(`invalid --log-level '${levelText}': expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const formatText = stringValue(values['log-format']);
  const format = formatText === undefined ? configured.logFormat : LOG_FORMATS.find((f) => f === formatText);
  if (!format) {
    throw new UsageError(`invalid --log-format '${formatText}': expected ${LOG_FORMATS.join(' or ')}`);
  }
  return createLogger({ level, format, destination: io.stderr });
}
