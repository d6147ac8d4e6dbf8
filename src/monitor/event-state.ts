import type { CeleryEvent } from '../celery/events/event-reader.js';
import {
  DOCKER_RUN_TASK,
  READY_STATES,
  exitCodeFrom,
  imageFromArgs,
  type TaskState,
  type TaskWithLog,
  type WorkerRecord,
} from './task-record.js';

/** The tail of a task's log that is kept (the dashboard shows the end of a long log). */
export const MAX_LOG_BYTES = 64 * 1024;
/** Celery's `HEARTBEAT_EXPIRE_WINDOW`: a worker is gone after 2 × its heartbeat interval. */
const EXPIRE_FACTOR = 2;
/** Celery's default heartbeat interval, for workers that do not say theirs. */
const DEFAULT_FREQ_SECONDS = 2;

export type StateChange =
  | { type: 'task'; task: TaskWithLog }
  | { type: 'worker'; worker: WorkerRecord }
  /** A log chunk; `task` is there to be saved with its new tail, not shown (it did not change). */
  | { type: 'log'; id: string; stream: 'stdout' | 'stderr'; text: string; task: TaskWithLog };

export interface EventStateOptions {
  /** A task known from before (the store) that is not in memory: later events build on it. */
  load?: (id: string) => TaskWithLog | undefined;
  /** Tasks kept in memory (the least recently touched go; the store keeps them all). */
  maxTasks?: number;
  now?: () => number;
}

interface WorkerEntry {
  record: WorkerRecord;
  freqSeconds: number;
  /** When its last heartbeat arrived here (ms): liveness uses our clock, as Celery's State does. */
  lastSeen: number;
}

/**
 * Celery's events folded into task and worker records, as `celery.events.State` does for
 * Flower: every event updates its task; a finished task (SUCCESS, FAILURE, REVOKED, REJECTED)
 * keeps its state whatever arrives late, and `task-sent` (a client's, on another connection,
 * so possibly late) never moves a task back to PENDING.
 */
export class EventState {
  readonly #tasks = new Map<string, TaskWithLog>();
  readonly #workers = new Map<string, WorkerEntry>();
  readonly #load: (id: string) => TaskWithLog | undefined;
  readonly #maxTasks: number;
  readonly #now: () => number;

  constructor(options: EventStateOptions = {}) {
    this.#load = options.load ?? (() => undefined);
    this.#maxTasks = options.maxTasks ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Workers known from before (the store): offline until they are heard from. */
  seedWorkers(workers: readonly WorkerRecord[]): void {
    for (const record of workers) {
      this.#workers.set(record.hostname, {
        record: { ...record, online: false },
        freqSeconds: DEFAULT_FREQ_SECONDS,
        lastSeen: 0,
      });
    }
  }

  workers(): WorkerRecord[] {
    return [...this.#workers.values()].map((w) => ({ ...w.record }));
  }

  /** Folds one event in; returns what changed (nothing for events it does not know). */
  apply(event: CeleryEvent): StateChange[] {
    const type = event.type;
    if (type.startsWith('worker-')) return this.#workerEvent(event);
    if (!type.startsWith('task-')) return [];
    const id = text(event.uuid);
    if (!id) return [];
    const at = eventTime(event, this.#now());
    const task = this.#task(id, at);
    if (at < Date.parse(task.created)) task.created = iso(at);
    // A finished task's times stay: a late or duplicated event only fills in what was missing.
    const ready = READY_STATES.has(task.state);
    switch (type) {
      case 'task-sent':
        this.#describe(task, event);
        task.queue = text(event.queue) ?? text(event.routing_key) ?? task.queue;
        setState(task, 'PENDING');
        break;
      case 'task-received':
        this.#describe(task, event);
        task.worker = text(event.hostname) ?? task.worker;
        if (!ready || !task.received) task.received = iso(at);
        setState(task, 'RECEIVED');
        break;
      case 'task-started':
        task.worker = text(event.hostname) ?? task.worker;
        if (!ready || !task.started) task.started = iso(at);
        setState(task, 'STARTED');
        break;
      case 'task-succeeded':
        task.result = text(event.result);
        task.exitCode = exitCodeFrom(task.result) ?? task.exitCode;
        this.#end(task, at, num(event.runtime));
        setState(task, 'SUCCESS');
        break;
      case 'task-failed':
        task.error = errorText(text(event.exception), text(event.traceback));
        task.exitCode = exitCodeFrom(task.error) ?? task.exitCode;
        this.#end(task, at, null);
        setState(task, 'FAILURE');
        break;
      case 'task-retried':
        task.error = text(event.exception);
        setState(task, 'RETRY');
        break;
      case 'task-revoked': {
        const signum = event.signum;
        task.error =
          event.terminated === true
            ? `terminated${typeof signum === 'number' || typeof signum === 'string' ? ` (signal ${signum})` : ''}`
            : event.expired === true
              ? 'expired'
              : 'revoked';
        this.#end(task, at, null);
        setState(task, 'REVOKED');
        break;
      }
      case 'task-rejected':
        this.#end(task, at, null);
        setState(task, 'REJECTED');
        break;
      case 'task-progress':
        task.progress = {
          current: num(event.current) ?? 0,
          total: num(event.total) ?? 0,
          message: text(event.message),
        };
        break;
      case 'task-log': {
        const chunk = typeof event.text === 'string' ? event.text : '';
        if (chunk === '') return [];
        task.log = tail(task.log + chunk);
        const stream = event.stream === 'stderr' ? 'stderr' : 'stdout';
        return [{ type: 'log', id, stream, text: chunk, task }];
      }
      default:
        return [];
    }
    return [{ type: 'task', task }];
  }

  /** Workers whose heartbeats stopped (2 × their interval): now offline. */
  expireWorkers(): StateChange[] {
    const now = this.#now();
    const changes: StateChange[] = [];
    for (const entry of this.#workers.values()) {
      if (entry.record.online && now > entry.lastSeen + entry.freqSeconds * EXPIRE_FACTOR * 1000) {
        entry.record.online = false;
        changes.push({ type: 'worker', worker: { ...entry.record } });
      }
    }
    return changes;
  }

  #workerEvent(event: CeleryEvent): StateChange[] {
    const hostname = text(event.hostname);
    if (!hostname) return [];
    let entry = this.#workers.get(hostname);
    if (!entry) {
      entry = {
        record: {
          hostname,
          online: false,
          active: 0,
          processed: 0,
          loadavg: [],
          lastHeartbeat: null,
          swIdent: null,
          swVer: null,
          pid: null,
        },
        freqSeconds: DEFAULT_FREQ_SECONDS,
        lastSeen: 0,
      };
      this.#workers.set(hostname, entry);
    }
    const record = entry.record;
    record.active = num(event.active) ?? record.active;
    record.processed = num(event.processed) ?? record.processed;
    if (Array.isArray(event.loadavg)) {
      record.loadavg = event.loadavg.filter((n): n is number => typeof n === 'number');
    }
    record.swIdent = text(event.sw_ident) ?? record.swIdent;
    record.swVer = text(event.sw_ver) ?? record.swVer;
    record.pid = num(event.pid) ?? record.pid;
    entry.freqSeconds = num(event.freq) ?? entry.freqSeconds;
    if (event.type === 'worker-offline') {
      record.online = false;
    } else {
      record.online = true;
      record.lastHeartbeat = iso(eventTime(event, this.#now()));
      entry.lastSeen = this.#now();
    }
    return [{ type: 'worker', worker: { ...record } }];
  }

  /** Name, argument reprs, owner and image, from `task-sent` or `task-received`. */
  #describe(task: TaskWithLog, event: CeleryEvent): void {
    task.name = text(event.name) ?? task.name;
    task.args = text(event.args) ?? task.args;
    task.kwargs = text(event.kwargs) ?? task.kwargs;
    task.user = text(event.user) ?? text(event.longshore_user) ?? task.user;
    task.group = text(event.group) ?? text(event.longshore_group) ?? task.group;
    task.image = text(event.image) ?? task.image;
    if (!task.image && task.name === DOCKER_RUN_TASK) task.image = imageFromArgs(task.args);
  }

  #end(task: TaskWithLog, at: number, runtime: number | null): void {
    if (READY_STATES.has(task.state)) return;
    task.ended = iso(at);
    const started = task.started ?? task.received;
    task.runtime = runtime ?? (started ? Math.max(0, (at - Date.parse(started)) / 1000) : null);
  }

  /** The task, from memory, the store, or new; the least recently touched leave memory. */
  #task(id: string, at: number): TaskWithLog {
    let task = this.#tasks.get(id);
    if (task) {
      this.#tasks.delete(id);
    } else {
      task = this.#load(id) ?? newTask(id, at);
    }
    this.#tasks.set(id, task);
    if (this.#tasks.size > this.#maxTasks) {
      const oldest = this.#tasks.keys().next().value;
      if (oldest !== undefined) this.#tasks.delete(oldest);
    }
    return task;
  }
}

function newTask(id: string, at: number): TaskWithLog {
  return {
    id,
    name: null,
    image: null,
    state: 'PENDING',
    worker: null,
    queue: null,
    user: null,
    group: null,
    args: null,
    kwargs: null,
    created: iso(at),
    received: null,
    started: null,
    ended: null,
    runtime: null,
    exitCode: null,
    result: null,
    error: null,
    progress: null,
    log: '',
  };
}

function setState(task: TaskWithLog, next: TaskState): void {
  if (READY_STATES.has(task.state)) return;
  if (next === 'PENDING' && task.state !== 'PENDING') return;
  task.state = next;
}

/** The last MAX_LOG_BYTES of a log (UTF-8), cut at a line start when one is near. */
function tail(log: string): string {
  const bytes = Buffer.from(log, 'utf8');
  if (bytes.length <= MAX_LOG_BYTES) return log;
  const kept = bytes.subarray(bytes.length - MAX_LOG_BYTES).toString('utf8');
  const newline = kept.indexOf('\n');
  return newline >= 0 && newline < 1024 ? kept.slice(newline + 1) : kept;
}

/**
 * The exception's repr, or the traceback's last line when the repr says nothing (Python's solo
 * pool reports `ExceptionWithTraceback()` for a `ValueError('boom')`).
 */
function errorText(exception: string | null, traceback: string | null): string | null {
  if (exception && !/^\w+\(\)$/.test(exception)) return exception;
  const last = traceback
    ?.split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .at(-1);
  return last ?? exception;
}

function eventTime(event: CeleryEvent, now: number): number {
  const seconds = event.timestamp;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? seconds * 1000 : now;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
