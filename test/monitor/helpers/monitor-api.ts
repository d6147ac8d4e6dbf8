// The monitor as its clients see it: its JSON API over fetch and its WebSocket, plus polling for
// what a test waits for (the WebSocket test does not poll).
import WebSocket from 'ws';
import { messageOf } from '../../../src/core/errors.js';
import type { LiveMessage } from '../../../src/monitor/live-updates.js';
import type { TaskRecord, TaskWithLog, WorkerRecord } from '../../../src/monitor/task-record.js';

export interface ApiReply {
  status: number;
  type: string | null;
  body: unknown;
}

export async function request(url: string, init?: RequestInit): Promise<ApiReply> {
  const response = await fetch(url, init);
  const type = response.headers.get('content-type');
  const text = await response.text();
  return {
    status: response.status,
    type,
    body: type?.startsWith('application/json') ? JSON.parse(text) : text,
  };
}

export async function tasks(base: string, query = ''): Promise<TaskRecord[]> {
  const reply = await request(`${base}/api/tasks${query}`);
  if (reply.status !== 200)
    throw new Error(`GET /api/tasks${query}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return (reply.body as { tasks: TaskRecord[] }).tasks;
}

export async function task(base: string, id: string): Promise<TaskWithLog | undefined> {
  const reply = await request(`${base}/api/tasks/${id}`);
  return reply.status === 200 ? (reply.body as TaskWithLog) : undefined;
}

export async function workers(base: string): Promise<WorkerRecord[]> {
  return ((await request(`${base}/api/workers`)).body as { workers: WorkerRecord[] }).workers;
}

/** Polls `probe` until it returns something other than undefined. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${messageOf(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The task once it is in one of `states`. */
export function taskIn(
  base: string,
  id: string,
  states: readonly string[],
  timeoutMs = 60_000,
): Promise<TaskWithLog> {
  return until(
    `task ${id} in ${states.join('/')}`,
    async () => {
      const found = await task(base, id);
      return found && states.includes(found.state) ? found : undefined;
    },
    timeoutMs,
  );
}

export function worker(
  base: string,
  hostname: string,
  online: boolean,
  timeoutMs = 30_000,
): Promise<WorkerRecord> {
  return until(
    `worker ${hostname} ${online ? 'online' : 'offline'}`,
    async () => (await workers(base)).find((w) => w.hostname === hostname && w.online === online),
    timeoutMs,
  );
}

/** A WebSocket client that keeps every message and can wait for one. */
export class LiveClient {
  readonly messages: LiveMessage[] = [];
  readonly #listeners = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      // A text frame, as a Buffer (ws's default binaryType).
      this.messages.push(JSON.parse((data as Buffer).toString('utf8')) as LiveMessage);
      for (const listener of this.#listeners) listener();
    });
  }

  static async open(base: string): Promise<LiveClient> {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`);
    const client = new LiveClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  next(predicate: (message: LiveMessage) => boolean, timeoutMs = 60_000): Promise<LiveMessage> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.messages.find(predicate);
        if (!found) return;
        finish();
        resolve(found);
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `no such message within ${timeoutMs} ms; got ${this.messages.map((m) => m.type).join(', ')}`,
          ),
        );
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
