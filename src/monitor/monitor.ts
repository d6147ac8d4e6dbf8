import type { AddressInfo } from 'node:net';
import { backoffDelay, sleep } from '../core/backoff.js';
import { CeleryClient } from '../celery/client/celery-client.js';
import { CeleryEventReader, type CeleryEvent } from '../celery/events/event-reader.js';
import { messageOf } from '../core/errors.js';
import { redactUrl } from '../core/secrets.js';
import { EventState, type StateChange } from './event-state.js';
import { LiveUpdates } from './live-updates.js';
import { createMonitorServer, type ServerTimeouts } from './monitor-server.js';
import { AccessControl } from './auth/access-control.js';
import { MonitorAuthError } from './auth/auth-error.js';
import { loadAuthFile, type Credentials } from './auth/auth-file.js';
import { HostAllowList, checkAllowedHostName, isLoopbackHost } from './auth/host-allow-list.js';
import { parseOrThrow } from '../core/parse.js';
import { z } from 'zod';
import type { WorkerRecord } from './task-record.js';
import type { Logger } from '../core/logger.js';
import { defaultLogger } from '../config/default-logger.js';
import { MONITOR_AUTH_FILE_ENV, getConfiguration } from '../config/configuration.js';
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
  /**
   * The login. Off by default, which is allowed on loopback only: beyond it the monitor
   * refuses to start without one.
   */
  auth?: MonitorAuthOptions;
  /**
   * More names the monitor answers to in `Host` (`name` or `name:port`), e.g. the name a proxy
   * forwards. Always: localhost, 127.0.0.1, [::1] and the listening address, with the port.
   */
  allowedHosts?: readonly string[];
  /** Slow and idle connections' limits (defaults in the README). */
  timeouts?: ServerTimeouts;
}

export interface MonitorAuthOptions {
  /** The auth file: `user NAME scrypt$...` and `token TOKEN` / `token sha256:HEX` lines. */
  file: string;
  /** Mark the session cookie `Secure`: the dashboard is reached over https (through a proxy). */
  secureCookie?: boolean;
  /** How long a dashboard login lasts (default 12 h). */
  sessionTtlMs?: number;
}

const positiveMs = z
  .number('expected milliseconds')
  .int('expected whole milliseconds')
  .positive('expected a positive number of milliseconds');
const securitySchema = z.object({
  auth: z
    .strictObject({
      file: z.string('expected a file path').min(1, 'expected a file path'),
      secureCookie: z.boolean('expected true or false').optional(),
      sessionTtlMs: positiveMs.optional(),
    })
    .optional(),
  allowedHosts: z
    .array(
      z.string().refine(checkAllowedHostName, 'expected a host name or name:port'),
      'expected a list of host names',
    )
    .optional(),
  timeouts: z
    .strictObject({
      headersMs: positiveMs.optional(),
      requestMs: positiveMs.optional(),
      keepAliveMs: positiveMs.optional(),
      idleMs: positiveMs.optional(),
      pingMs: positiveMs.optional(),
    })
    .optional(),
});

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
  const security = parseOrThrow(
    securitySchema,
    { auth: options.auth, allowedHosts: options.allowedHosts, timeouts: options.timeouts },
    'monitor',
  );
  const listenHost = options.host ?? DEFAULT_HOST;
  // Beyond loopback anyone on the network could read every task and cancel any: not without a login.
  if (!security.auth && !isLoopbackHost(listenHost)) {
    throw new MonitorAuthError(
      `The monitor would listen on ${listenHost} with no login: give it credentials (--auth-file FILE, or $${MONITOR_AUTH_FILE_ENV}; see 'longshore monitor --help'), or listen on 127.0.0.1`,
    );
  }
  const credentials: Credentials | undefined = security.auth
    ? await loadAuthFile(security.auth.file)
    : undefined;
  const access = new AccessControl(credentials, {
    ...(security.auth?.sessionTtlMs === undefined ? {} : { sessionTtlMs: security.auth.sessionTtlMs }),
    secureCookie: security.auth?.secureCookie ?? false,
  });
  const hosts = new HostAllowList(listenHost, security.allowedHosts ?? []);
  const store = await TaskStore.open(options.dbPath ?? defaultDbPath(), logger);
  const state = new EventState({ load: (id) => store.getTask(id) });
  state.seedWorkers(store.listWorkers());
  const live = new LiveUpdates(
    () => ({
      tasks: store.listTasks({ limit: SNAPSHOT_TASKS }),
      workers: state.workers(),
    }),
    security.timeouts?.pingMs,
  );
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
    { access, hosts, ...(security.timeouts ? { timeouts: security.timeouts } : {}) },
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
      server.listen(options.port ?? DEFAULT_PORT, listenHost, () => {
        server.off('error', reject);
        // Before any request is read: the allowed Host names carry the port.
        hosts.listening((server.address() as AddressInfo).port);
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
