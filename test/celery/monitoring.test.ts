// Monitoring a longshore worker as Flower and Python's `app.control` do it, with Debian's real
// python3-celery: remote control (ping and every inspect command, revoke, an unknown command),
// Celery events read by Python's own EventReceiver and events.state.State (what Flower is built
// on: Flower itself is not packaged here), the raw events on the wire, and enable_events /
// disable_events switching task events.
import { describe, expect, it } from 'vitest';
import { DOCKER_RUN_TASK_NAME, configure, dockerRun } from '../../src/index.js';
import { BUSYBOX, CONFORMANCE } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { BROKER, useBroker } from './helpers/broker.js';
import { EventTap } from './helpers/event-tap.js';
import { celeryApp, usePython } from './helpers/python.js';
import { add } from './helpers/test-tasks.js';

useLeakChecks({ fds: false });
const broker = useBroker();
const python = usePython();
const J = JSON.stringify;

type Json = Record<string, unknown>;

/** What the inspect script prints: Python's replies, by node name where Celery keys them so. */
interface InspectOut {
  ids: { scheduled: string; running: string; reserved: string };
  ping: unknown;
  seconds: Record<string, number>;
  active: Record<string, Json[]>;
  active_safe: Record<string, Json[]>;
  reserved: unknown;
  scheduled: unknown;
  registered: Record<string, string[]>;
  stats: Record<string, Json>;
  active_queues: unknown;
  conf: Record<string, Json>;
  revoked: unknown;
  query_task: unknown;
  unknown: unknown;
  revoke: unknown;
  revoked_after: unknown;
  terminate: unknown;
  results: unknown;
  stats_after: Record<string, Json>;
}

describe('remote control from Python (app.control)', () => {
  it('ping, every inspect command with the shapes Flower reads, revoke, terminate and an unknown command', async () => {
    const queue = broker.queue('inspect');
    const H = broker.hostname('inspect');
    // Prefetch 2: one task running, one reserved behind it, plus the ETA task held.
    await broker.startWorker({ queues: [queue], concurrency: 1, prefetchMultiplier: 2, hostname: H });
    const out = await python.run<InspectOut>(`${celeryApp()}
import time
from celery.exceptions import TaskRevokedError
H, Q = ${J(H)}, ${J(queue)}
out = {}
t = time.time()
out['ping'] = app.control.ping(timeout=1)
out['ping_seconds'] = time.time() - t
i = app.control.inspect(destination=[H], timeout=1)
scheduled = app.send_task('lstest.sleep', args=[10], queue=Q, countdown=60)
running = app.send_task(${J(DOCKER_RUN_TASK_NAME)}, args=[${J(CONFORMANCE)}],
                        kwargs={'pull_image': False, 'container_args': ['sleep', '-s', '60']}, queue=Q)
reserved = app.send_task('lstest.sleep', args=[10], kwargs={'note': 'x'}, queue=Q)
out['ids'] = {'scheduled': scheduled.id, 'running': running.id, 'reserved': reserved.id}
deadline = time.time() + 30
while time.time() < deadline:
    active, waiting = i.active() or {}, i.reserved() or {}
    if [r['id'] for r in active.get(H, [])] == [running.id] and waiting.get(H):
        break
    time.sleep(0.2)
time.sleep(0.5)  # the container runs by now
seconds = {}
for name in ['active', 'reserved', 'scheduled', 'registered', 'stats', 'active_queues', 'conf', 'revoked']:
    t = time.time()
    out[name] = getattr(i, name)()
    seconds[name] = time.time() - t
out['seconds'] = seconds
out['active_safe'] = i.active(safe=True)
out['query_task'] = i.query_task(running.id, scheduled.id, 'no-such-id')
out['unknown'] = app.control.broadcast('pool_grow', arguments={'n': 1}, destination=[H], reply=True, timeout=1)
out['revoke'] = app.control.revoke([scheduled.id, reserved.id], destination=[H], reply=True, timeout=1)
out['revoked_after'] = i.revoked()
out['terminate'] = app.control.revoke(running.id, terminate=True, signal='SIGKILL', destination=[H],
                                      reply=True, timeout=1)
results = {}
for key, r in [('scheduled', scheduled), ('reserved', reserved), ('running', running)]:
    try:
        r.get(timeout=60)
        results[key] = 'no error'
    except TaskRevokedError as e:
        results[key] = type(e).__name__
out['results'] = results
deadline = time.time() + 10
while time.time() < deadline:
    out['stats_after'] = i.stats()
    if out['stats_after'][H]['total']:
        break
    time.sleep(0.2)
print(json.dumps(out))
`);
    const ids = out.ids;
    // ping without a destination: every worker answers within its 1 s; ours is among them.
    expect(out.ping).toContainEqual({ [H]: { ok: 'pong' } });

    // Each inspect call comes back well within Flower's 1 s timeout.
    for (const [name, seconds] of Object.entries(out.seconds)) {
      expect(seconds, name).toBeLessThan(0.9);
    }
    const delivery = { exchange: '', routing_key: queue, priority: 0, redelivered: false };
    expect(out.active).toEqual({
      [H]: [
        {
          id: ids.running,
          name: DOCKER_RUN_TASK_NAME,
          args: [CONFORMANCE],
          kwargs: { pull_image: false, container_args: ['sleep', '-s', '60'] },
          type: DOCKER_RUN_TASK_NAME,
          hostname: H,
          time_start: expect.any(Number),
          acknowledged: false,
          delivery_info: delivery,
          worker_pid: process.pid,
        },
      ],
    });
    const started = (out.active[H]![0]!.time_start as number) * 1000;
    expect(Math.abs(Date.now() - started)).toBeLessThan(120_000);
    // safe: the previews Python's client made (argsrepr of a list here).
    expect(out.active_safe[H]![0]).toMatchObject({
      args: `['${CONFORMANCE}']`,
      kwargs: "{'pull_image': False, 'container_args': ['sleep', '-s', '60']}",
    });
    expect(out.reserved).toEqual({
      [H]: [
        expect.objectContaining({
          id: ids.reserved,
          name: 'lstest.sleep',
          args: [10],
          kwargs: { note: 'x' },
          time_start: null,
          worker_pid: null,
          delivery_info: delivery,
        }),
      ],
    });
    expect(out.scheduled).toEqual({
      [H]: [
        {
          eta: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/),
          priority: 0,
          request: expect.objectContaining({ id: ids.scheduled, name: 'lstest.sleep', args: [10] }),
        },
      ],
    });
    expect(out.registered[H]).toEqual(expect.arrayContaining([DOCKER_RUN_TASK_NAME, 'lstest.add']));
    const stats = out.stats[H]!;
    expect(stats).toMatchObject({
      total: {},
      pid: process.pid,
      clock: expect.stringMatching(/^\d+$/),
      uptime: expect.any(Number),
      pool: { implementation: 'longshore', 'max-concurrency': 1, processes: [process.pid] },
      broker: {
        hostname: new URL(BROKER).hostname,
        port: Number(new URL(BROKER).port || 5672),
        userid: 'guest',
        virtual_host: '/',
        transport: 'amqp',
        ssl: false,
      },
      // concurrency 1 × multiplier 2, plus one for the ETA task held.
      prefetch_count: 3,
      rusage: { utime: expect.any(Number), stime: expect.any(Number), maxrss: expect.any(Number) },
    });
    expect(JSON.stringify(stats)).not.toContain('guest:guest');
    expect(out.active_queues).toEqual({
      [H]: [
        expect.objectContaining({
          name: queue,
          exchange: expect.objectContaining({ name: queue, type: 'direct', durable: true }),
          routing_key: queue,
          durable: true,
          exclusive: false,
          auto_delete: false,
        }),
      ],
    });
    expect(out.conf[H]).toMatchObject({
      broker_url: expect.stringContaining('guest:**@'),
      result_backend: 'rpc://',
      worker_concurrency: 1,
      worker_prefetch_multiplier: 2,
      worker_send_task_events: true,
      task_queues: [queue],
    });
    // Revokes are broadcasts: other test files running now (`longshore cancel`...) revoke their own
    // tasks on every worker, this one included. None of this test's tasks is revoked yet.
    const revokedBefore = out.revoked as Record<string, string[]>;
    expect(Object.keys(revokedBefore)).toEqual([H]);
    for (const id of Object.values(ids)) expect(revokedBefore[H]).not.toContain(id);
    expect(out.query_task).toEqual({
      [H]: {
        [ids.running]: ['active', expect.objectContaining({ id: ids.running, hostname: H })],
        [ids.scheduled]: ['scheduled', expect.objectContaining({ id: ids.scheduled })],
      },
    });
    expect(out.unknown).toEqual([{ [H]: { error: expect.stringContaining('pool_grow') } }]);
    expect(out.revoke).toEqual([{ [H]: { ok: expect.stringMatching(/flagged as revoked/) } }]);
    expect(out.revoked_after).toEqual({ [H]: expect.arrayContaining([ids.scheduled, ids.reserved]) });
    expect(out.terminate).toEqual([{ [H]: { ok: `terminate: ${ids.running}` } }]);
    expect(out.results).toEqual({
      scheduled: 'TaskRevokedError',
      reserved: 'TaskRevokedError',
      running: 'TaskRevokedError',
    });
    expect(out.stats_after[H]!.total).toEqual({ [DOCKER_RUN_TASK_NAME]: 1 });
  });
});

describe('Celery events', () => {
  it("Python's EventReceiver and State see the worker online, its heartbeats, its tasks and its going offline", async () => {
    const queue = broker.queue('events');
    const H = broker.hostname('events');
    const tap = await EventTap.open();
    try {
      const receiver = python.start(`${celeryApp()}
import time
H = ${J(H)}
state = app.events.State()
seen, alive_on_heartbeat, done = [], [], [False]

def on_event(event):
    state.event(event)
    if event.get('hostname') != H:
        return
    seen.append(event)
    if event['type'] == 'worker-heartbeat':
        alive_on_heartbeat.append(state.workers[H].alive)
    if event['type'] == 'worker-offline':
        done[0] = True

class Receiver(app.events.Receiver):
    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        print('READY', flush=True)  # no wake-up broadcast: heartbeats come by themselves

with app.connection() as conn:
    receiver = Receiver(conn, handlers={'*': on_event})
    deadline = time.time() + 90
    for _ in receiver.consume(limit=None, timeout=None):
        if done[0] or time.time() > deadline:
            break
worker = state.workers.get(H)
tasks = {uuid: {'state': t.state, 'name': t.name, 'args': t.args, 'kwargs': t.kwargs, 'result': t.result,
                'exception': t.exception, 'runtime': t.runtime, 'retries': t.retries, 'root_id': t.root_id,
                'worker': t.worker.hostname}
         for uuid, t in state.tasks.items() if t.worker is not None and t.worker.hostname == H}
print(json.dumps({'events': seen, 'alive_on_heartbeat': alive_on_heartbeat,
                  'alive_at_end': worker.alive if worker else None,
                  'sw_ident': worker.sw_ident if worker else None, 'tasks': tasks}, default=str))
`);
      await receiver.waitFor(/READY/);
      const worker = await broker.startWorker({ queues: [queue], concurrency: 2, hostname: H });
      configure({ broker: BROKER });
      const ok = dockerRun.applyAsync([BUSYBOX], { pullImage: false, entrypoint: ['true'] }, { queue });
      const failing = dockerRun.applyAsync(
        [CONFORMANCE],
        { pullImage: false, containerArgs: ['exit', '-c', '3'] },
        { queue },
      );
      const sum = add.applyAsync([2, 3], {}, { queue });
      await expect(ok.get({ timeout: 60_000 })).resolves.toEqual({ exitCode: 0, hookResults: [] });
      await expect(failing.get({ timeout: 60_000 })).rejects.toThrow(/exit code/);
      await expect(sum.get({ timeout: 60_000 })).resolves.toBe(5);
      // A few heartbeats, then a graceful stop.
      await tap.until((events) => events.filter((e) => isFrom(e.body, H, 'worker-heartbeat')).length >= 3);
      await worker.stop();
      const out = await receiver.result<{
        events: Json[];
        alive_on_heartbeat: boolean[];
        alive_at_end: boolean;
        sw_ident: string;
        tasks: Record<string, Json>;
      }>();

      // What Python received, in order: online first, offline last, each with the standard fields.
      const types = out.events.map((e) => e.type);
      expect(types[0]).toBe('worker-online');
      expect(types.at(-1)).toBe('worker-offline');
      for (const event of out.events) {
        expect(event).toMatchObject({
          hostname: H,
          pid: process.pid,
          utcoffset: expect.any(Number),
          clock: expect.any(Number),
          timestamp: expect.any(Number),
        });
        expect(Math.abs((event.timestamp as number) - Date.now() / 1000)).toBeLessThan(120);
      }
      const clocks = out.events.map((e) => e.clock as number);
      expect(clocks).toEqual([...clocks].sort((a, b) => a - b));
      expect(out.events[0]).toMatchObject({
        freq: 2,
        active: 0,
        processed: 0,
        sw_ident: 'longshore',
        sw_ver: expect.any(String),
        sw_sys: 'Linux',
        loadavg: [expect.any(Number), expect.any(Number), expect.any(Number)],
      });
      expect(out.events.at(-1)).toMatchObject({ processed: 3, active: 0 });

      // State (what Flower shows): alive on every heartbeat, not after worker-offline.
      expect(out.alive_on_heartbeat.length).toBeGreaterThanOrEqual(3);
      expect(out.alive_on_heartbeat.every(Boolean)).toBe(true);
      expect(out.alive_at_end).toBe(false);
      expect(out.sw_ident).toBe('longshore');
      expect(out.tasks[ok.id]).toMatchObject({
        state: 'SUCCESS',
        name: DOCKER_RUN_TASK_NAME,
        args: `('${BUSYBOX}',)`,
        result: "{'exitCode': 0, 'hookResults': []}",
        runtime: expect.any(Number),
        retries: 0,
        root_id: ok.id,
      });
      expect(out.tasks[failing.id]).toMatchObject({
        state: 'FAILURE',
        name: DOCKER_RUN_TASK_NAME,
        exception: "ContainerExitError('Non-zero exit code from docker container (3)')",
      });
      expect(out.tasks[sum.id]).toMatchObject({
        state: 'SUCCESS',
        name: 'lstest.add',
        args: '(2, 3)',
        result: '5',
      });

      // Each task's events: received (with its fields), started, then succeeded or failed.
      const ofTask = (id: string): Json[] => out.events.filter((e) => e.uuid === id);
      expect(ofTask(ok.id).map((e) => e.type)).toEqual(['task-received', 'task-started', 'task-succeeded']);
      expect(ofTask(failing.id).map((e) => e.type)).toEqual(['task-received', 'task-started', 'task-failed']);
      expect(ofTask(ok.id)[0]).toMatchObject({
        name: DOCKER_RUN_TASK_NAME,
        args: `('${BUSYBOX}',)`,
        kwargs: expect.stringContaining("'pull_image': False"),
        root_id: ok.id,
        parent_id: null,
        retries: 0,
        eta: null,
        expires: null,
      });
      expect(ofTask(failing.id)[2]).toMatchObject({
        exception: "ContainerExitError('Non-zero exit code from docker container (3)')",
        traceback: expect.stringContaining('ContainerExitError'),
      });

      // Heartbeats every 2 s (the timestamps the worker put on them).
      const beats = out.events.filter((e) => e.type === 'worker-heartbeat').map((e) => e.timestamp as number);
      const gaps = beats.slice(1).map((t, i) => t - beats[i]!);
      const sorted = [...gaps].sort((a, b) => a - b);
      expect(sorted[Math.floor(sorted.length / 2)]).toBeGreaterThan(1.8);
      expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(2.4);

      // On the wire: the celeryev topic exchange, routing key = type with dots, transient JSON,
      // and the hostname header.
      const wire = tap.events.filter((e) => e.body.hostname === H);
      expect(wire.map((e) => e.body.type)).toEqual(types);
      for (const { body, message } of wire) {
        expect(message).toMatchObject({
          exchange: 'celeryev',
          routingKey: String(body.type).replace(/-/g, '.'),
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          deliveryMode: 1,
          headers: { hostname: H },
        });
      }
    } finally {
      await tap.close();
    }
  });

  it('enable_events / disable_events switch task events (off from the start here); heartbeat sends one now', async () => {
    const queue = broker.queue('switch');
    const H = broker.hostname('switch');
    const tap = await EventTap.open();
    try {
      await broker.startWorker({ queues: [queue], concurrency: 1, hostname: H, taskEvents: false });
      configure({ broker: BROKER });
      await tap.until((events) => events.some((e) => isFrom(e.body, H, 'worker-online')));
      /** The task's events, once a heartbeat sent after its result has come (events keep their order). */
      const eventsOf = async (id: string): Promise<unknown[]> => {
        const after = Date.now() / 1000;
        await tap.until((events) =>
          events.some((e) => isFrom(e.body, H, 'worker-heartbeat') && (e.body.timestamp as number) > after),
        );
        return tap
          .of(H)
          .filter((e) => e.uuid === id)
          .map((e) => e.type);
      };

      const off = add.applyAsync([1, 1], {}, { queue });
      await expect(off.get({ timeout: 30_000 })).resolves.toBe(2);
      expect(await eventsOf(off.id)).toEqual([]);

      const enabled = await python.run<unknown[]>(`${celeryApp()}
H = ${J(H)}
print(json.dumps([app.control.enable_events(destination=[H], reply=True, timeout=1),
                  app.control.enable_events(destination=[H], reply=True, timeout=1)]))
`);
      expect(enabled).toEqual([
        [{ [H]: { ok: 'task events enabled' } }],
        [{ [H]: { ok: 'task events already enabled' } }],
      ]);
      const on = add.applyAsync([2, 2], {}, { queue });
      await expect(on.get({ timeout: 30_000 })).resolves.toBe(4);
      expect(await eventsOf(on.id)).toEqual(['task-received', 'task-started', 'task-succeeded']);

      const beatsBefore = tap.of(H, 'worker-heartbeat').length;
      const disabled = await python.run<unknown[]>(`${celeryApp()}
H = ${J(H)}
print(json.dumps([app.control.disable_events(destination=[H], reply=True, timeout=1),
                  app.control.heartbeat(destination=[H], reply=True, timeout=1)]))
`);
      expect(disabled).toEqual([
        [{ [H]: { ok: 'task events disabled' } }],
        [{ [H]: { ok: 'heartbeat sent' } }],
      ]);
      await tap.until(() => tap.of(H, 'worker-heartbeat').length > beatsBefore, 5_000);
      const offAgain = add.applyAsync([3, 3], {}, { queue });
      await expect(offAgain.get({ timeout: 30_000 })).resolves.toBe(6);
      expect(await eventsOf(offAgain.id)).toEqual([]);
    } finally {
      await tap.close();
    }
  });
});

function isFrom(body: Json, hostname: string, type: string): boolean {
  return body.hostname === hostname && body.type === type;
}
