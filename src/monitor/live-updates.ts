import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { StateChange } from './event-state.js';
import type { TaskRecord, TaskWithLog, WorkerRecord } from './task-record.js';

/** Messages are gathered this long: a task changing often is sent at most ~10 times a second. */
const FLUSH_MS = 100;
/** A client this far behind is dropped rather than buffered without bound (it can reconnect). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface Snapshot {
  tasks: TaskRecord[];
  workers: WorkerRecord[];
}

export type LiveMessage =
  | ({ type: 'snapshot' } & Snapshot)
  | { type: 'task'; task: TaskRecord }
  | { type: 'worker'; worker: WorkerRecord }
  | { type: 'log'; id: string; stream: 'stdout' | 'stderr'; text: string };

/**
 * The dashboard's WebSocket (`/ws`): a snapshot on connect, then the changes as events arrive,
 * coalesced: within each 100 ms only a task's and a worker's latest record is sent, and a
 * task's log chunks are joined.
 */
export class LiveUpdates {
  readonly #wss = new WebSocketServer({ noServer: true, clientTracking: true });
  readonly #snapshot: () => Snapshot;
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #workers = new Map<string, WorkerRecord>();
  readonly #logs = new Map<string, { id: string; stream: 'stdout' | 'stderr'; text: string }>();
  /** Clients that answered the last ping. */
  readonly #alive = new WeakSet<WebSocket>();
  readonly #pinger: NodeJS.Timeout;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /**
   * `pingMs`: how often clients are pinged. One that has not answered by the next ping is gone
   * (a laptop that slept, a dropped network) and is dropped rather than written to forever.
   */
  constructor(snapshot: () => Snapshot, pingMs = 30_000) {
    this.#snapshot = snapshot;
    this.#pinger = setInterval(() => this.#ping(), pingMs);
    this.#pinger.unref();
  }

  get clients(): number {
    return this.#wss.clients.size;
  }

  /** The HTTP server's `upgrade` handler: `/ws` becomes a live client, anything else is refused. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (this.#closed || pathname !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      this.#alive.add(ws);
      ws.on('pong', () => this.#alive.add(ws));
      send(ws, { type: 'snapshot', ...this.#snapshot() });
    });
  }

  publish(change: StateChange): void {
    if (this.#closed || this.#wss.clients.size === 0) return;
    if (change.type === 'task') {
      this.#tasks.set(change.task.id, withoutLog(change.task));
    } else if (change.type === 'worker') {
      this.#workers.set(change.worker.hostname, change.worker);
    } else {
      const key = `${change.stream} ${change.id}`;
      const pending = this.#logs.get(key);
      if (pending) pending.text += change.text;
      else this.#logs.set(key, { id: change.id, stream: change.stream, text: change.text });
    }
    this.#timer ??= setTimeout(() => this.#flush(), FLUSH_MS);
  }

  /** Closes every client connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pinger);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #ping(): void {
    for (const ws of this.#wss.clients) {
      if (!this.#alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.#alive.delete(ws);
      ws.ping();
    }
  }

  #flush(): void {
    this.#timer = undefined;
    const messages: LiveMessage[] = [
      ...[...this.#workers.values()].map((worker): LiveMessage => ({ type: 'worker', worker })),
      ...[...this.#tasks.values()].map((task): LiveMessage => ({ type: 'task', task })),
      ...[...this.#logs.values()].map((log): LiveMessage => ({ type: 'log', ...log })),
    ];
    this.#workers.clear();
    this.#tasks.clear();
    this.#logs.clear();
    for (const ws of this.#wss.clients) for (const message of messages) send(ws, message);
  }
}

function send(ws: WebSocket, message: LiveMessage): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
    ws.terminate();
    return;
  }
  ws.send(JSON.stringify(message));
}

export function withoutLog(task: TaskWithLog | TaskRecord): TaskRecord {
  const { log: _log, ...record } = task as TaskWithLog;
  return record;
}
