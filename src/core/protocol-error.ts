import { LongshoreError, type LongshoreErrorOptions } from './errors.js';

/**
 * A message from (or for) another process is not in a form longshore understands or can send:
 * an unknown Python class, an unsupported jsonpickle tag, a value that cannot cross the wire.
 */
export class ProtocolError extends LongshoreError {
  constructor(message: string, options: LongshoreErrorOptions = {}) {
    super('ERR_PROTOCOL', message, options);
  }
}
