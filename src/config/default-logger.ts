import { messageOf } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { getConfiguration, onConfigurationChange } from './configuration.js';

let logger: Logger | undefined;

/**
 * The process's logger, for library code that was not handed one: stderr, at the configured
 * level and format (`configure({ logLevel, logFormat })`, LONGSHORE_LOG_LEVEL, LONGSHORE_LOG_FORMAT).
 */
export function defaultLogger(): Logger {
  if (!logger) {
    try {
      const { logLevel, logFormat } = getConfiguration();
      logger = createLogger({ level: logLevel, format: logFormat });
    } catch (error) {
      // A bad setting elsewhere must not take the logger down with it: it is said once, here.
      logger = createLogger();
      logger.warn(`Logging at info, as pretty lines: ${messageOf(error)}`);
    }
  }
  return logger;
}

onConfigurationChange(() => {
  logger = undefined;
});
