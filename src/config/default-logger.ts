import { createLogger, type Logger } from '../core/logger.js';
import { getConfiguration, onConfigurationChange } from './configuration.js';

let logger: Logger | undefined;

/**
 * The process's logger, for library code that was not handed one: stderr, at the configured
 * level and format (`configure({ logLevel, logFormat })`, LONGSHORE_LOG_LEVEL, LONGSHORE_LOG_FORMAT).
 */
export function defaultLogger(): Logger {
  if (!logger) {
    const { logLevel, logFormat } = getConfiguration();
    logger = createLogger({ level: logLevel, format: logFormat });
  }
  return logger;
}

onConfigurationChange(() => {
  logger = undefined;
});
