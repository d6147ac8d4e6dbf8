import { defaultLogger } from '../config/default-logger.js';
import type { Logger } from '../core/logger.js';

/** How a transfer's bytes moved: by a child (`splice`, `sendfile`, `cat`) or through Node. */
export type TransferPath = 'splice' | 'sendfile' | 'cat' | 'curl' | 'node';

export interface TransferRecord {
  path: TransferPath;
  /** undefined when the path does not tell (a `cat` whose reader stopped early). */
  bytes: number | undefined;
  startedAt: number;
}

/** When a transfer starts, for its record. */
export function transferClock(): number {
  return performance.now();
}

/**
 * One debug line per transfer, naming the path its bytes took: which one ran is otherwise
 * invisible, and a slow transfer is first asked about that. `logger` defaults to the process's.
 */
export function logTransfer(logger: Logger | undefined, what: string, record: TransferRecord): void {
  const ms = Math.round(performance.now() - record.startedAt);
  (logger ?? defaultLogger()).debug(
    { path: record.path, bytes: record.bytes, ms },
    `Moved ${what} by ${record.path}`,
  );
}
