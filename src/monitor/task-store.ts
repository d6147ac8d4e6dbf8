import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import initSqlJs from 'sql.js';
import { LongshoreError, messageOf, type LongshoreErrorOptions } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { defaultLogger } from '../config/default-logger.js';
import type { TaskRecord, TaskState, TaskWithLog, WorkerRecord } from './task-record.js';

type Database = initSqlJs.Database;
type SqlValue = initSqlJs.SqlValue;

/** `--db :memory:`: nothing is written to disk. */
export const IN_MEMORY = ':memory:';
/** How often, at most, the database is written out while events arrive. */
const SAVE_INTERVAL_MS = 1_000;
/** A large database is written less often: writing takes at most ~5 % of the time. */
const SAVE_COST_FACTOR = 20;

/** The database file cannot be read, written or used: the message says which and what to do. */
export class MonitorStoreError extends LongshoreError {
  constructor(message: string, options: LongshoreErrorOptions = {}) {
    super('ERR_MONITOR_STORE', message, options);
  }
}

/** `~/.local/share/longshore/monitor.sqlite` (or under $XDG_DATA_HOME). */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME?.trim() || path.join(homedir(), '.local', 'share');
  return path.join(base, 'longshore', 'monitor.sqlite');
}

export interface TaskFilter {
  user?: string;
  group?: string;
  state?: TaskState;
  limit: number;
}

// One row per task: the record as JSON, plus the columns that lists filter and sort on.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY,
  created TEXT NOT NULL,
  state TEXT NOT NULL,
  owner_user TEXT,
  owner_group TEXT,
  record TEXT NOT NULL,
  log TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created);
CREATE INDEX IF NOT EXISTS tasks_user ON tasks (owner_user, created);
CREATE INDEX IF NOT EXISTS tasks_group ON tasks (owner_group, created);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks (state, created);
CREATE TABLE IF NOT EXISTS workers (hostname TEXT PRIMARY KEY, record TEXT NOT NULL);
PRAGMA user_version = 1;
`;

/**
 * The monitor's history in SQLite (sql.js: WebAssembly, nothing native to build). The database
 * lives in memory and is written to its file atomically (a temporary file renamed over it), at
 * most once a second while it changes, and on close.
 */
export class TaskStore {
  readonly path: string;
  readonly #db: Database;
  #dirty = false;
  #saveInterval = SAVE_INTERVAL_MS;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  readonly #logger: Logger;

  private constructor(db: Database, file: string, logger: Logger) {
    this.#db = db;
    this.path = file;
    this.#logger = logger;
  }

  static async open(file: string = defaultDbPath(), logger: Logger = defaultLogger()): Promise<TaskStore> {
    const SQL = await initSqlJs();
    let bytes: Buffer | undefined;
    if (file !== IN_MEMORY) {
      try {
        bytes = readFileSync(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new MonitorStoreError(`cannot read the monitor database ${file}: ${messageOf(error)}`, {
            cause: error,
          });
        }
      }
    }
    const db = new SQL.Database(bytes);
    try {
      db.exec(SCHEMA);
    } catch (error) {
      db.close();
      throw new MonitorStoreError(
        `${file} is not a usable monitor database (${messageOf(error)}): move it away or give --db another path`,
        { cause: error },
      );
    }
    const store = new TaskStore(db, file, logger);
    // Fail now, not at the first save, when the directory cannot be written.
    if (file !== IN_MEMORY) {
      try {
        store.#write();
      } catch (error) {
        db.close();
        throw new MonitorStoreError(
          `cannot write the monitor database ${file} (${messageOf(error)}): give --db a writable path`,
          { cause: error },
        );
      }
    }
    return store;
  }

  saveTask(task: TaskWithLog): void {
    const { log, ...record } = task;
    this.#run(
      `INSERT INTO tasks (id, created, state, owner_user, owner_group, record, log)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET created = excluded.created, state = excluded.state,
         owner_user = excluded.owner_user, owner_group = excluded.owner_group,
         record = excluded.record, log = excluded.log`,
      [task.id, task.created, task.state, task.user, task.group, JSON.stringify(record), log],
    );
  }

  saveWorker(worker: WorkerRecord): void {
    this.#run(
      `INSERT INTO workers (hostname, record) VALUES (?, ?)
       ON CONFLICT (hostname) DO UPDATE SET record = excluded.record`,
      [worker.hostname, JSON.stringify(worker)],
    );
  }

  getTask(id: string): TaskWithLog | undefined {
    const [row] = this.#select('SELECT record, log FROM tasks WHERE id = ?', [id]);
    if (!row) return undefined;
    return { ...(JSON.parse(String(row[0])) as TaskRecord), log: String(row[1] ?? '') };
  }

  /** Newest first (by `created`). */
  listTasks(filter: TaskFilter): TaskRecord[] {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.user !== undefined) {
      where.push('owner_user = ?');
      params.push(filter.user);
    }
    if (filter.group !== undefined) {
      where.push('owner_group = ?');
      params.push(filter.group);
    }
    if (filter.state !== undefined) {
      where.push('state = ?');
      params.push(filter.state);
    }
    params.push(filter.limit);
    const sql = `SELECT record FROM tasks ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created DESC, id LIMIT ?`;
    return this.#select(sql, params).map((row) => JSON.parse(String(row[0])) as TaskRecord);
  }

  listWorkers(): WorkerRecord[] {
    return this.#select('SELECT record FROM workers ORDER BY hostname', []).map(
      (row) => JSON.parse(String(row[0])) as WorkerRecord,
    );
  }

  /** Writes the database out (if it changed) and frees it. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      if (this.#dirty) this.#write();
    } finally {
      this.#db.close();
    }
  }

  #run(sql: string, params: SqlValue[]): void {
    if (this.#closed) return;
    this.#db.run(sql, params);
    this.#changed();
  }

  #select(sql: string, params: SqlValue[]): SqlValue[][] {
    if (this.#closed) return [];
    // Prepared statements are not kept: sql.js's export() frees them.
    const statement = this.#db.prepare(sql, params);
    try {
      const rows: SqlValue[][] = [];
      while (statement.step()) rows.push(statement.get());
      return rows;
    } finally {
      statement.free();
    }
  }

  #changed(): void {
    if (this.path === IN_MEMORY) return;
    this.#dirty = true;
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed || !this.#dirty) return;
      try {
        this.#write();
      } catch (error) {
        // Kept in memory; the next change or close tries again.
        this.#dirty = true;
        this.#logger.error(`Cannot save ${this.path}: ${messageOf(error)}`);
      }
    }, this.#saveInterval);
    // Saving never keeps a process alive: close() writes what is left.
    this.#timer.unref();
  }

  /** The whole database to a temporary file next to it, renamed over it: never half written. */
  #write(): void {
    this.#dirty = false;
    mkdirSync(path.dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    const started = Date.now();
    try {
      writeFileSync(temporary, this.#db.export());
      renameSync(temporary, this.path);
      this.#saveInterval = Math.max(SAVE_INTERVAL_MS, (Date.now() - started) * SAVE_COST_FACTOR);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  }
}
