import { LongshoreError, type LongshoreErrorOptions } from '../../core/errors.js';

/** The monitor's login cannot be set up: an unreadable or malformed auth file, or none where one is needed. */
export class MonitorAuthError extends LongshoreError {
  constructor(message: string, options: LongshoreErrorOptions = {}) {
    super('ERR_MONITOR_AUTH', message, options);
  }
}
