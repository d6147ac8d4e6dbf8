import type { AddressInfo } from 'node:net';
import { backoffDelay, sleep } from '../core/backoff.js';
import { CeleryClient } from '../celery/client/celery-client.js';
import { CeleryEventReader, type CeleryEvent } from '../celery/events/event-reader.js';
import { messageOf } from '../core/errors.js';
import { redactUrl } from '../core/secrets.js';
import { EventState, type StateChange } from './event-state.js';
import { LiveUpdates } from './live-updates.js';
import { createMonitorServer } from './monitor-server.js';
import type { WorkerRecord } from './task-record.js';
import type { Logger } from '../core/logger.js';
import { defaultLogger } from '../config/default-logger.js';
import { getConfiguration } from '../config/configuration.js';
import type { BrokerTlsOptions } from '../config/broker-tls.js';
import { TaskStore, defaultDbPath } from './task-store.js';

export const DEFAULT_PORT = 5555;
export const DEFAULT_HOST = '127.0.0.1';
/** Tasks in the WebSocket's first message. */
const SNAPSHOT_TASKS = 200;
/** How often worker liveness is checked (a worker is offline 2 heartbeats after its last). */
const LIVENESS_CHECK_MS = 500;
/** A worker's heartbeat figures are saved at most this often (its comings and goings at once). */
const WORKER_SAVE_MS = 60_000;

export interface MonitorOptions {
  /** The broker (amqp:// URL) whose `celeryev` events are read and to which revokes go. */
  broker: string;
  /**
   * TLS for an amqps:// broker (the event reader and the revokes). Default: `configure({
   * brokerTls })`, then LONGSHORE_BROKER_CA / _CERT / _KEY / _SERVERNAME.
   */
  brokerTls?: BrokerTlsOptions | undefined;
  /** Default 5555; 0 picks a free port (the returned url says which). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The SQLite file (default ~/.local/share/longshore/monitor.sqlite); ':memory:' keeps nothing. */
  dbPath?: string;
  /** Where problems are reported (a lost broker connection...). Default: the process's logger. */
  logger?: Logger;
}

export interface RunningMonitor {
  /** `http://host:port` */
  readonly url: string;
  /** Stops reading events, closes the server and its clients, saves the database. Idempotent. */
  close(): Promise<void>;
}

/**
 * `longshore monitor`: reads every worker's Celery events (longshore's and Python's), folds them
 * into task and worker records kept in SQLite, and serves them over HTTP and a WebSocket.
 */
export async function startMonitor(options: MonitorOptions): Promise<RunningMonitor> {
  const logger = options.logger ?? defaultLogger();
  const store = await TaskStore.open(options.dbPath ?? defaultDbPath(), logger);
  const state = new EventState({ load: (id) => store.getTask(id) });
  state.seedWorkers(store.listWorkers());
  const live = new LiveUpdates(() => ({
    tasks: store.listTasks({ limit: SNAPSHOT_TASKS }),
    workers: state.workers(),
  }));
  // Revokes only: it connects on the first cancel.
  const tls = options.brokerTls ?? getConfiguration().brokerTls;
  const client = new CeleryClient(options.broker, { maxConnectAttempts: 3, tls });
  const stopped = new AbortController();

  // Heartbeats change a worker every 2 s: saved when it comes or goes, else once a minute, so that
  // an idle cluster does not rewrite the database file every second.
  const workerSaved = new Map<string, { online: boolean; at: number }>();
  const saveWorker = (worker: WorkerRecord, force = false): void => {
    const last = workerSaved.get(worker.hostname);
    const now = Date.now();
    if (!force && last && last.online === worker.online && now - last.at < WORKER_SAVE_MS) return;
    workerSaved.set(worker.hostname, { online: worker.online, at: now });
    store.saveWorker(worker);
  };
  const apply = (changes: readonly StateChange[]): void => {
    for (const change of changes) {
      if (change.type === 'worker') saveWorker(change.worker);
      else store.saveTask(change.task);
      live.publish(change);
    }
  };
  const onEvent = (event: CeleryEvent): void => {
    try {
      apply(state.apply(event));
    } catch (error) {
      logger.warn(`Could not record a ${event.type} event: ${messageOf(error)}`);
    }
  };

  let reader: CeleryEventReader | undefined;
  const openReader = async (): Promise<CeleryEventReader> => {
    const opened = await CeleryEventReader.open(options.broker, onEvent, {
      connectionName: 'longshore monitor',
      tls,
      onInvalid: (why) => logger.warn(`Skipped ${why}`),
    });
    opened.onLost((error) => {
      if (stopped.signal.aborted) return;
      logger.warn(`Lost the broker (${messageOf(error)}); reconnecting`);
      void reconnect();
    });
    return opened;
  };
  // Events sent while disconnected are lost (as with Flower); later ones update the records.
  const reconnect = async (): Promise<void> => {
    for (let attempt = 1; !stopped.signal.aborted; attempt++) {
      await sleep(backoffDelay(attempt, { initialMs: 500, maxMs: 10_000 }), stopped.signal);
      if (stopped.signal.aborted) return;
      try {
        const opened = await openReader();
        if (stopped.signal.aborted) {
          await opened.close();
          return;
        }
        reader = opened;
        logger.info('Reconnected to the broker');
        return;
      } catch (error) {
        if (attempt === 1 || attempt % 10 === 0) {
          logger.error(`Cannot reach ${redactUrl(options.broker)}: ${messageOf(error)}`);
        }
      }
    }
  };

  const server = createMonitorServer(
    {
      listTasks: (filter) => store.listTasks(filter),
      getTask: (id) => store.getTask(id),
      cancel: (id) => client.revoke(id, { terminate: true }),
      workers: () => state.workers(),
    },
    live,
  );
  const liveness = setInterval(() => apply(state.expireWorkers()), LIVENESS_CHECK_MS);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopped.abort();
      clearInterval(liveness);
      await reader?.close();
      await live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.close();
      for (const worker of state.workers()) saveWorker(worker, true);
      store.close();
    })();
    return closing;
  };

  try {
    reader = await openReader();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, close };
}
export { startMonitor as start };
