import { DockerEngine } from './engine.js';
import { reapLeftovers } from './reaper.js';
import { DockerEngineError, messageOf } from '../core/errors.js';
import { getConfiguration } from '../config/configuration.js';
import { defaultLogger } from '../config/default-logger.js';

let engine: DockerEngine | undefined;
let reaped: Promise<void> | undefined;

/** The process-wide engine client (DOCKER_HOST / the default socket). */
export function defaultEngine(): DockerEngine {
  if (!engine) {
    const socketPath = getConfiguration().dockerSocket;
    engine = new DockerEngine(socketPath ? { socketPath } : {});
  }
  return engine;
}

/**
 * The first task of a process sweeps up what crashed processes left; it runs beside the task,
 * never in its way.
 */
export function reapOnce(target: DockerEngine): void {
  reaped ??= reapLeftovers(target).then(
    (report) => {
      for (const error of report.errors) defaultLogger().warn(`Cleaning leftovers: ${error}`);
    },
    (error) => {
      // An engine that does not answer fails the task itself, with a clearer message.
      if (!(error instanceof DockerEngineError))
        defaultLogger().warn(`Cleaning leftovers: ${messageOf(error)}`);
    },
  );
}
