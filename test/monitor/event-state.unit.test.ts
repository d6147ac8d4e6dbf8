// Celery events folded into records, as celery.events.State does, with events shaped as longshore
// and Python workers send them (see test/celery/monitoring.test.ts for the real wire).
import { describe, expect, it } from 'vitest';
import { EventState, MAX_LOG_BYTES } from '../../src/monitor/event-state.js';
import {
  DOCKER_RUN_TASK,
  exitCodeFrom,
  imageFromArgs,
  type TaskWithLog,
} from '../../src/monitor/task-record.js';

const T0 = 1_800_000_000;
const at = (s: number): number => T0 + s;
const iso = (s: number): string => new Date(at(s) * 1000).toISOString();

function fold(events: Record<string, unknown>[], now = (T0 + 100) * 1000): EventState {
  const state = new EventState({ now: () => now });
  for (const event of events) state.apply(event as { type: string });
  return state;
}

describe('EventState', () => {
  it('follows a docker_run from task-sent to task-succeeded, with its owner, image and exit code', () => {
    const changes: unknown[] = [];
    const state = new EventState();
    const events = [
      {
        type: 'task-received',
        uuid: 'a',
        name: DOCKER_RUN_TASK,
        args: "('longshore/busybox',)",
        kwargs: '{}',
        hostname: 'w1@h',
        timestamp: at(1),
        longshore_user: 'ada',
      },
      // The client's task-sent may arrive after the worker's first events: it is older, and says PENDING.
      {
        type: 'task-sent',
        uuid: 'a',
        name: DOCKER_RUN_TASK,
        queue: 'gpu',
        user: 'ada',
        group: 'lab',
        hostname: 'gen1@h',
        timestamp: at(0),
      },
      { type: 'task-started', uuid: 'a', hostname: 'w1@h', timestamp: at(2) },
      { type: 'task-progress', uuid: 'a', current: 2, total: 5, message: null, timestamp: at(3) },
      {
        type: 'task-succeeded',
        uuid: 'a',
        result: "{'exitCode': 0, 'hookResults': []}",
        runtime: 2.5,
        hostname: 'w1@h',
        timestamp: at(4),
      },
      { type: 'task-started', uuid: 'a', hostname: 'w1@h', timestamp: at(5) },
    ];
    for (const event of events) changes.push(...state.apply(event));
    expect(changes).toHaveLength(6);
    const [last] = changes.slice(-1) as [{ type: string; task: unknown }];
    expect(last.task).toEqual({
      id: 'a',
      name: DOCKER_RUN_TASK,
      image: 'longshore/busybox',
      state: 'SUCCESS',
      worker: 'w1@h',
      queue: 'gpu',
      user: 'ada',
      group: 'lab',
      args: "('longshore/busybox',)",
      kwargs: '{}',
      created: iso(0),
      received: iso(1),
      started: iso(2),
      ended: iso(4),
      runtime: 2.5,
      exitCode: 0,
      result: "{'exitCode': 0, 'hookResults': []}",
      error: null,
      progress: { current: 2, total: 5, message: null },
      log: '',
    });
  });

  it('records failures, retries, revocations and rejections', () => {
    const state = new EventState();
    const apply = (event: Record<string, unknown>) => state.apply(event as { type: string });
    apply({
      type: 'task-received',
      uuid: 'f',
      name: DOCKER_RUN_TASK,
      args: "['img:1', 'x']",
      timestamp: at(0),
    });
    apply({ type: 'task-started', uuid: 'f', timestamp: at(1) });
    const [failed] = apply({
      type: 'task-failed',
      uuid: 'f',
      timestamp: at(3),
      exception: "ContainerExitError('Non-zero exit code from docker container (3)')",
    });
    expect(failed).toMatchObject({
      task: {
        state: 'FAILURE',
        exitCode: 3,
        runtime: 2,
        image: 'img:1',
        error: "ContainerExitError('Non-zero exit code from docker container (3)')",
      },
    });

    apply({ type: 'task-started', uuid: 'r', timestamp: at(0) });
    expect(
      apply({ type: 'task-retried', uuid: 'r', exception: "Retry('again')", timestamp: at(1) })[0],
    ).toMatchObject({ task: { state: 'RETRY', error: "Retry('again')", ended: null } });
    expect(apply({ type: 'task-received', uuid: 'r', timestamp: at(2) })[0]).toMatchObject({
      task: { state: 'RECEIVED' },
    });
    expect(
      apply({
        type: 'task-revoked',
        uuid: 'r',
        terminated: true,
        signum: 15,
        expired: false,
        timestamp: at(3),
      })[0],
    ).toMatchObject({ task: { state: 'REVOKED', error: 'terminated (signal 15)' } });
    expect(apply({ type: 'task-rejected', uuid: 'j', requeue: false, timestamp: at(0) })[0]).toMatchObject({
      task: { state: 'REJECTED' },
    });
    expect(
      apply({
        type: 'task-failed',
        uuid: 'p',
        exception: 'ExceptionWithTraceback()',
        timestamp: at(0),
        traceback: 'Traceback (most recent call last):\n  File "x.py"\nValueError: boom\n',
      })[0],
    ).toMatchObject({ task: { state: 'FAILURE', error: 'ValueError: boom', exitCode: null } });
    expect(apply({ type: 'task-started' })).toEqual([]);
    expect(apply({ type: 'something-else', uuid: 'x' })).toEqual([]);
  });

  it('keeps the last 64 KiB of a task log and reports each chunk', () => {
    const state = new EventState();
    const line = `${'x'.repeat(1023)}\n`;
    let change: unknown;
    for (let i = 0; i < 100; i++)
      [change] = state.apply({ type: 'task-log', uuid: 'l', stream: 'stderr', text: line });
    expect(change).toMatchObject({ type: 'log', id: 'l', stream: 'stderr', text: line });
    const log = (change as { task: { log: string } }).task.log;
    expect(Buffer.byteLength(log)).toBeLessThanOrEqual(MAX_LOG_BYTES);
    expect(log.length).toBe(64 * 1024);
    expect(log.startsWith('x')).toBe(true);
  });

  it('calls a worker offline on worker-offline or 2 heartbeats after its last one', () => {
    let now = 1_000_000;
    const state = new EventState({ now: () => now });
    const heartbeat = {
      type: 'worker-heartbeat',
      hostname: 'w@h',
      freq: 2,
      active: 1,
      processed: 7,
      loadavg: [0.5, 0.25, 0.1],
      sw_ident: 'py-celery',
      sw_ver: '5.6.2',
      pid: 42,
      timestamp: at(0),
    };
    expect(state.apply(heartbeat)[0]).toEqual({
      type: 'worker',
      worker: {
        hostname: 'w@h',
        online: true,
        active: 1,
        processed: 7,
        loadavg: [0.5, 0.25, 0.1],
        lastHeartbeat: iso(0),
        swIdent: 'py-celery',
        swVer: '5.6.2',
        pid: 42,
      },
    });
    now += 3_900;
    expect(state.expireWorkers()).toEqual([]);
    now += 200;
    expect(state.expireWorkers()).toMatchObject([{ worker: { hostname: 'w@h', online: false } }]);
    expect(state.expireWorkers()).toEqual([]);
    state.apply({ ...heartbeat, type: 'worker-online' });
    expect(state.workers()[0]?.online).toBe(true);
    state.apply({ ...heartbeat, type: 'worker-offline' });
    expect(state.workers()[0]?.online).toBe(false);
  });

  it('builds on a record it loads (the store) for tasks it has not seen', () => {
    const before = fold([{ type: 'task-received', uuid: 'old', name: 'n', hostname: 'w', timestamp: at(0) }]);
    const [change] = before.apply({ type: 'task-started', uuid: 'old', timestamp: at(1) });
    if (change?.type !== 'task') throw new Error('expected a task change');
    const saved: TaskWithLog = { ...change.task };
    const state = new EventState({ load: (id) => (id === 'old' ? { ...saved } : undefined) });
    expect(
      state.apply({ type: 'task-succeeded', uuid: 'old', result: '5', runtime: 1, timestamp: at(2) })[0],
    ).toMatchObject({ task: { name: 'n', worker: 'w', state: 'SUCCESS', created: iso(0), result: '5' } });
  });
});

describe('what the events say of docker_run', () => {
  it('reads the image from args reprs and the exit code from results and errors', () => {
    expect(imageFromArgs("('longshore/busybox:latest',)")).toBe('longshore/busybox:latest');
    expect(imageFromArgs("['img', '--flag']")).toBe('img');
    expect(imageFromArgs('()')).toBeNull();
    expect(imageFromArgs(null)).toBeNull();
    expect(exitCodeFrom("{'exitCode': 137, 'hookResults': []}")).toBe(137);
    expect(exitCodeFrom("ContainerExitError('Non-zero exit code from docker container (2)')")).toBe(2);
    expect(exitCodeFrom("ValueError('boom')")).toBeNull();
  });
});
