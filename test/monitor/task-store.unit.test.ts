// The SQLite history (sql.js) on a real file: indexed columns, filters and order, a file written
// atomically (no temporary left behind) and read back, :memory: writing nothing.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskWithLog } from '../../src/monitor/task-record.js';
import { IN_MEMORY, MonitorStoreError, TaskStore, defaultDbPath } from '../../src/monitor/task-store.js';

const dir = mkdtempSync(join(tmpdir(), 'longshore-test-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function record(id: string, minute: number, fields: Partial<TaskWithLog> = {}): TaskWithLog {
  return {
    id,
    name: 'lstest.add',
    image: null,
    state: 'SUCCESS',
    worker: 'w@h',
    queue: null,
    user: null,
    group: null,
    args: '(2, 3)',
    kwargs: '{}',
    created: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
    received: null,
    started: null,
    ended: null,
    runtime: null,
    exitCode: null,
    result: '5',
    error: null,
    progress: null,
    log: '',
    ...fields,
  };
}

describe('TaskStore', () => {
  it('filters by user, group and state, newest first, and keeps everything across a reopen', async () => {
    const file = join(dir, 'nested', 'monitor.sqlite');
    const store = await TaskStore.open(file);
    store.saveTask(record('a', 1, { user: 'ada', group: 'lab' }));
    store.saveTask(record('b', 3, { user: 'bob', group: 'lab', state: 'FAILURE' }));
    store.saveTask(record('c', 2, { user: 'ada', log: 'hello\n' }));
    store.saveTask(record('a', 1, { user: 'ada', group: 'lab', state: 'REVOKED' }));
    store.saveWorker({
      hostname: 'w@h',
      online: true,
      active: 0,
      processed: 3,
      loadavg: [0.1, 0.2, 0.3],
      lastHeartbeat: null,
      swIdent: 'longshore',
      swVer: '0.1.0',
      pid: 1,
    });
    const ids = (filter: Parameters<TaskStore['listTasks']>[0]): string[] =>
      store.listTasks(filter).map((t) => t.id);
    expect(ids({ limit: 100 })).toEqual(['b', 'c', 'a']);
    expect(ids({ limit: 2 })).toEqual(['b', 'c']);
    expect(ids({ user: 'ada', limit: 100 })).toEqual(['c', 'a']);
    expect(ids({ group: 'lab', limit: 100 })).toEqual(['b', 'a']);
    expect(ids({ group: 'lab', state: 'REVOKED', limit: 100 })).toEqual(['a']);
    expect(store.listTasks({ limit: 1 })[0]).not.toHaveProperty('log');
    expect(store.getTask('c')).toEqual(record('c', 2, { user: 'ada', log: 'hello\n' }));
    expect(store.getTask('nope')).toBeUndefined();
    store.close();
    store.close();
    expect(readdirSync(join(dir, 'nested'))).toEqual(['monitor.sqlite']);

    // The file is a plain SQLite database with the indexes that lists use.
    const SQL = await initSqlJs();
    const db = new SQL.Database(readFileSync(file));
    const indexes = db.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'tasks_%'");
    expect(indexes[0]?.values.flat().sort()).toEqual([
      'tasks_created',
      'tasks_group',
      'tasks_state',
      'tasks_user',
    ]);
    db.close();

    const again = await TaskStore.open(file);
    expect(again.listTasks({ limit: 100 }).map((t) => [t.id, t.state])).toEqual([
      ['b', 'FAILURE'],
      ['c', 'SUCCESS'],
      ['a', 'REVOKED'],
    ]);
    expect(again.listWorkers()).toMatchObject([{ hostname: 'w@h', processed: 3 }]);
    again.close();
  });

  it(':memory: writes nothing; a file that is not a database is refused with what to do', async () => {
    const before = readdirSync(dir).length;
    const memory = await TaskStore.open(IN_MEMORY);
    memory.saveTask(record('m', 0));
    expect(memory.listTasks({ limit: 10 })).toHaveLength(1);
    memory.close();
    expect(readdirSync(dir)).toHaveLength(before);
    expect(existsSync(IN_MEMORY)).toBe(false);

    const garbage = join(dir, 'garbage.sqlite');
    writeFileSync(garbage, 'this is not sqlite, but long enough to look like a header maybe');
    await expect(TaskStore.open(garbage)).rejects.toThrow(MonitorStoreError);
    await expect(TaskStore.open(garbage)).rejects.toThrow(/not a usable monitor database.*--db/);
  });

  it('defaults to ~/.local/share/longshore/monitor.sqlite, or under $XDG_DATA_HOME', () => {
    expect(defaultDbPath({ HOME: '/home/ada' })).toMatch(/\/\.local\/share\/longshore\/monitor\.sqlite$/);
    expect(defaultDbPath({ XDG_DATA_HOME: '/data' })).toBe('/data/longshore/monitor.sqlite');
  });
});
