// `longshore monitor` against the real thing: RabbitMQ, `longshore worker` processes running real
// containers, a Python Celery worker started with -E, and task-sent events published as the CLI's
// submit publishes them. What the API and the WebSocket say is checked, and what SQLite keeps.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { celeryClient } from '../../src/app/send-task.js';
import { publishTaskSent } from '../../src/celery/events/task-sent.js';
import { ProgressPipe, configure, dockerRun } from '../../src/index.js';
import { startMonitor, type RunningMonitor } from '../../src/monitor/monitor.js';
import { DOCKER_RUN_TASK } from '../../src/monitor/task-record.js';
import { BROKER, useBroker } from '../celery/helpers/broker.js';
import { celeryApp, usePython } from '../celery/helpers/python.js';
import { useWorkerProcesses } from '../celery/helpers/worker-process.js';
import { BUSYBOX, CONFORMANCE, listOwnedContainers } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { LiveClient, request, task, taskIn, tasks, worker, workers } from './helpers/monitor-api.js';
import { silentLogger } from '../../src/core/logger.js';

const leaks = useLeakChecks({ fds: false });
const broker = useBroker();
const python = usePython();
const spawnWorkerProcess = useWorkerProcesses();
const dbDir = mkdtempSync(join(tmpdir(), 'longshore-test-monitor-'));
const BIN = fileURLToPath(new URL('../../bin/longshore.js', import.meta.url));
const CLOSE_SCRIPT = fileURLToPath(new URL('./helpers/close-script.ts', import.meta.url));

let monitors: RunningMonitor[] = [];
let clients: LiveClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(monitors.map((m) => m.close()));
  clients = [];
  monitors = [];
});
afterAll(() => rmSync(dbDir, { recursive: true, force: true }));

let dbCounter = 0;
async function monitor(dbPath = join(dbDir, `monitor-${++dbCounter}.sqlite`)): Promise<RunningMonitor> {
  const started = await startMonitor({ broker: BROKER, port: 0, dbPath, logger: silentLogger() });
  monitors.push(started);
  return started;
}

function spawnWorker(queue: string, hostname: string): ReturnType<typeof spawnWorkerProcess> {
  return spawnWorkerProcess(['--queues', queue, '--hostname', hostname, '--concurrency', '2'], {
    LONGSHORE_TMP_ROOT: leaks.tempRoot,
  });
}

describe('longshore monitor', () => {
  it('records docker_run tasks from longshore workers: states, worker, runtime, exit code, errors, owners', async () => {
    const { url } = await monitor();
    const queue = broker.queue('mon-tasks');
    const H = broker.hostname('mon-tasks');
    spawnWorker(queue, H);
    const online = await worker(url, H, true);
    expect(online).toMatchObject({
      swIdent: 'longshore',
      swVer: expect.any(String),
      pid: expect.any(Number),
    });

    configure({ broker: BROKER });
    const ok = dockerRun.applyAsync(
      [BUSYBOX],
      { pullImage: false, entrypoint: ['true'] },
      { queue, headers: { longshore_user: 'alice', longshore_group: 'lab' } },
    );
    const failing = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['exit', '-c', '3'] },
      { queue, headers: { longshore_user: 'bob', longshore_group: 'lab' } },
    );
    await expect(ok.get({ timeout: 60_000 })).resolves.toMatchObject({ exitCode: 0 });
    await expect(failing.get({ timeout: 60_000 })).rejects.toThrow(/exit code/);

    const done = await taskIn(url, ok.id, ['SUCCESS']);
    expect(done).toMatchObject({
      id: ok.id,
      name: DOCKER_RUN_TASK,
      image: BUSYBOX,
      worker: H,
      user: 'alice',
      group: 'lab',
      args: `('${BUSYBOX}',)`,
      exitCode: 0,
      result: "{'exitCode': 0, 'hookResults': []}",
      error: null,
      runtime: expect.any(Number),
      log: expect.any(String),
    });
    for (const key of ['created', 'received', 'started', 'ended'] as const) {
      expect(Date.parse(done[key] ?? '')).toBeGreaterThan(Date.now() - 120_000);
    }
    expect(done.started! >= done.received! && done.ended! >= done.started!).toBe(true);
    const failed = await taskIn(url, failing.id, ['FAILURE']);
    expect(failed).toMatchObject({
      image: CONFORMANCE,
      worker: H,
      exitCode: 3,
      error: "ContainerExitError('Non-zero exit code from docker container (3)')",
      result: null,
    });

    // A task-sent as `longshore submit` publishes it, for a task no worker has taken yet.
    const waiting = broker.id();
    await publishTaskSent(BROKER, {
      uuid: waiting,
      name: DOCKER_RUN_TASK,
      args: `('${BUSYBOX}',)`,
      kwargs: '{}',
      queue: 'nobody-consumes-this',
      user: 'carol',
      group: 'other',
      image: BUSYBOX,
    });
    const pending = await taskIn(url, waiting, ['PENDING']);
    expect(pending).toMatchObject({
      user: 'carol',
      group: 'other',
      image: BUSYBOX,
      queue: 'nobody-consumes-this',
    });

    // Filters and order (newest first), as `longshore jobs` asks.
    const ids = (list: { id: string }[]): string[] => list.map((t) => t.id);
    expect(ids(await tasks(url, '?user=alice'))).toEqual([ok.id]);
    expect(ids(await tasks(url, '?group=lab')).sort()).toEqual([ok.id, failing.id].sort());
    expect(ids(await tasks(url, '?group=lab&state=failure'))).toEqual([failing.id]);
    expect(ids(await tasks(url, '?user=carol&state=PENDING'))).toEqual([waiting]);
    // Other tests on the same broker may add theirs: only ours are compared.
    const all = await tasks(url);
    const ours = new Set([ok.id, failing.id, waiting]);
    expect(ids(all).filter((id) => ours.has(id))[0]).toBe(waiting);
    expect(all.map((t) => t.created)).toEqual(
      all
        .map((t) => t.created)
        .sort()
        .reverse(),
    );
    expect(await tasks(url, '?limit=1')).toHaveLength(1);
    expect(all[0]).not.toHaveProperty('log');
  });

  it('shows a Python Celery worker (-E) and its tasks, online then offline', async () => {
    const { url } = await monitor();
    const queue = broker.queue('mon-py');
    const H = broker.hostname('mon-py');
    const script = python.start(`${celeryApp()}
@app.task(name='lsmon.pyadd')
def pyadd(x, y):
    return x + y

@app.task(name='lsmon.pyfail')
def pyfail():
    raise ValueError('boom')

app.worker_main(['worker', '-Q', ${JSON.stringify(queue)}, '-n', ${JSON.stringify(H)}, '-c', '1', '-P', 'solo',
                 '-E', '--without-gossip', '--without-mingle', '-l', 'WARNING'])
`);
    expect(await worker(url, H, true, 60_000)).toMatchObject({
      swIdent: 'py-celery',
      loadavg: expect.any(Array),
    });
    const client = celeryClient(BROKER);
    const sum = client.send('lsmon.pyadd', { args: [2, 3], kwargs: {} }, { queue });
    const boom = client.send('lsmon.pyfail', { args: [], kwargs: {} }, { queue });
    await expect(sum.get({ timeout: 60_000 })).resolves.toBe(5);
    await expect(boom.get({ timeout: 60_000 })).rejects.toThrow(/boom/);
    expect(await taskIn(url, sum.id, ['SUCCESS'])).toMatchObject({
      name: 'lsmon.pyadd',
      worker: H,
      args: '(2, 3)',
      result: '5',
      image: null,
      exitCode: null,
      runtime: expect.any(Number),
    });
    expect(await taskIn(url, boom.id, ['FAILURE'])).toMatchObject({
      // Python's solo pool says `ExceptionWithTraceback()`; the traceback's last line says more.
      error: expect.stringContaining('boom'),
      worker: H,
    });

    script.child.kill('SIGTERM');
    expect(await worker(url, H, false, 30_000)).toMatchObject({ hostname: H, online: false });
  });

  it('calls a killed worker offline after two missed heartbeats', async () => {
    const { url } = await monitor();
    const queue = broker.queue('mon-kill');
    const H = broker.hostname('mon-kill');
    const process = spawnWorker(queue, H);
    await worker(url, H, true);
    process.kill('SIGKILL');
    const killedAt = Date.now();
    await worker(url, H, false, 15_000);
    // No worker-offline from a killed process: only the missing heartbeats (2 × 2 s) say it.
    expect(Date.now() - killedAt).toBeGreaterThan(2_000);
  });

  it('pushes a snapshot, then task, worker, progress and log updates over the WebSocket', async () => {
    const { url } = await monitor();
    const queue = broker.queue('mon-ws');
    const H = broker.hostname('mon-ws');
    const live = await LiveClient.open(url);
    clients.push(live);
    const snapshot = await live.next((m) => m.type === 'snapshot');
    expect(snapshot).toEqual({ type: 'snapshot', tasks: expect.any(Array), workers: expect.any(Array) });

    spawnWorker(queue, H);
    await live.next((m) => m.type === 'worker' && m.worker.hostname === H && m.worker.online);
    configure({ broker: BROKER });
    const script = `exec 3>"$0"; for i in 1 2 3; do echo "line $i"; echo "{\\"current\\": $i, \\"total\\": 3}" >&3; sleep 0.3; done`;
    const handle = dockerRun.applyAsync(
      [BUSYBOX],
      { pullImage: false, containerArgs: ['sh', '-c', script, new ProgressPipe()] },
      { queue },
    );
    await handle.get({ timeout: 60_000 });
    await live.next((m) => m.type === 'task' && m.task.id === handle.id && m.task.state === 'SUCCESS');
    const mine = live.messages.filter((m) => m.type !== 'snapshot' && 'task' in m && m.task.id === handle.id);
    const states = mine.map((m) => (m.type === 'task' ? m.task.state : ''));
    expect(states[0]).toMatch(/RECEIVED|STARTED/);
    expect(states.at(-1)).toBe('SUCCESS');
    for (const message of mine) expect(message).not.toHaveProperty('task.log');
    const progress = mine.flatMap((m) => (m.type === 'task' && m.task.progress ? [m.task.progress] : []));
    expect(progress.at(-1)).toMatchObject({ current: 3, total: 3 });
    const logged = live.messages
      .flatMap((m) => (m.type === 'log' && m.id === handle.id ? [m.text] : []))
      .join('');
    expect(logged).toBe('line 1\nline 2\nline 3\n');
    expect((await task(url, handle.id))?.log).toBe('line 1\nline 2\nline 3\n');

    // A second client starts from a snapshot that has the task.
    const late = await LiveClient.open(url);
    clients.push(late);
    const second = await late.next((m) => m.type === 'snapshot');
    if (second.type !== 'snapshot') throw new Error('expected a snapshot');
    expect(second.tasks.find((t) => t.id === handle.id)).toMatchObject({ state: 'SUCCESS' });
    expect(second.workers.find((w) => w.hostname === H)).toMatchObject({ online: true });
  });

  it('cancels a running container through the API (REVOKED)', async () => {
    const { url } = await monitor();
    const queue = broker.queue('mon-cancel');
    const H = broker.hostname('mon-cancel');
    const process = spawnWorker(queue, H);
    await worker(url, H, true);
    configure({ broker: BROKER });
    const handle = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['sleep', '-s', '120'] },
      { queue },
    );
    await taskIn(url, handle.id, ['STARTED']);
    // The container runs by now (the worker's containers carry its pid in their owner label).
    await expect
      .poll(async () => (await listOwnedContainers(process.pid)).length, { timeout: 30_000 })
      .toBe(1);
    const reply = await request(`${url}/api/tasks/${handle.id}/cancel`, { method: 'POST' });
    expect(reply).toMatchObject({ status: 200, body: { ok: true } });
    const revoked = await taskIn(url, handle.id, ['REVOKED'], 30_000);
    expect(revoked).toMatchObject({ error: expect.stringMatching(/^terminated/), ended: expect.any(String) });
    await expect(handle.get({ timeout: 30_000 })).rejects.toThrow();
    await expect
      .poll(async () => (await listOwnedContainers(process.pid)).length, { timeout: 30_000 })
      .toBe(0);
  });

  it('keeps the history in SQLite across a restart', async () => {
    const dbPath = join(dbDir, 'restart.sqlite');
    const first = await monitor(dbPath);
    const queue = broker.queue('mon-restart');
    const H = broker.hostname('mon-restart');
    const process = spawnWorker(queue, H);
    await worker(first.url, H, true);
    configure({ broker: BROKER });
    const handle = dockerRun.applyAsync(
      [BUSYBOX],
      { pullImage: false, containerArgs: ['echo', 'kept'] },
      { queue },
    );
    await handle.get({ timeout: 60_000 });
    const before = await taskIn(first.url, handle.id, ['SUCCESS']);
    expect(before.log).toBe('kept\n');
    process.kill('SIGTERM');
    await process.exited;
    await worker(first.url, H, false);
    await first.close();
    await first.close();
    expect(existsSync(dbPath)).toBe(true);

    const second = await monitor(dbPath);
    expect(await task(second.url, handle.id)).toEqual(before);
    expect((await tasks(second.url)).find((t) => t.id === handle.id)).toMatchObject({ state: 'SUCCESS' });
    expect((await workers(second.url)).find((w) => w.hostname === H)).toMatchObject({ online: false });
  });

  it('answers bad requests in JSON, and serves the dashboard', async () => {
    const { url } = await monitor(':memory:');
    const json = 'application/json; charset=utf-8';
    expect(await request(`${url}/api/nothing`)).toEqual({
      status: 404,
      type: json,
      body: { error: 'no route GET /api/nothing' },
    });
    expect(await request(`${url}/api/tasks/no-such-id`)).toEqual({
      status: 404,
      type: json,
      body: { error: 'no task no-such-id' },
    });
    expect(await request(`${url}/api/tasks/no-such-id/cancel`, { method: 'POST' })).toMatchObject({
      status: 404,
      body: { error: 'no task no-such-id' },
    });
    for (const limit of ['0', '-1', 'ten', '1.5', '100000']) {
      expect(await request(`${url}/api/tasks?limit=${limit}`)).toMatchObject({
        status: 400,
        type: json,
        body: { error: expect.stringContaining(`bad limit '${limit}'`) },
      });
    }
    expect(await request(`${url}/api/tasks?state=DONE`)).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining('PENDING') },
    });
    expect(await request(`${url}/api/tasks?colour=red`)).toMatchObject({ status: 400 });
    expect(await request(`${url}/api/tasks`, { method: 'DELETE' })).toMatchObject({
      status: 405,
      type: json,
    });
    expect(await request(`${url}/api/tasks?limit=5`)).toEqual({
      status: 200,
      type: json,
      body: { tasks: [] },
    });
    expect(await request(`${url}/no-such-file.js`)).toMatchObject({ status: 404, type: json });
    expect(await request(`${url}/..%2f..%2fpackage.json`)).toMatchObject({ status: 404 });
    const page = await request(`${url}/`);
    expect(page).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(String(page.body)).toMatch(/<html/i);
  });

  it('leaves nothing behind on close: a script that starts and closes it exits by itself', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLOSE_SCRIPT], {
      env: { ...process.env, LONGSHORE_TEST_BROKER: BROKER },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect({ code, output }).toEqual({ code: 0, output: 'closed\n' });
  });

  it('runs as `longshore monitor`, prints its URL and stops on SIGTERM; bad flags are one line', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'monitor', '--port', '0', '--db', ':memory:', '--broker', BROKER],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let output = '';
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        const match = /^Monitor at (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      void exited.then(() => reject(new Error(`exited: ${stdout}${output}`)));
    });
    expect(await request(`${url}/api/workers`)).toMatchObject({ status: 200 });
    // A second monitor on the same port, and one given a file that is not a database: one line each.
    const port = new URL(url).port;
    const garbage = join(dbDir, 'garbage.sqlite');
    writeFileSync(garbage, 'not a database');
    for (const [args, line] of [
      [['--port', port, '--db', ':memory:'], `cannot listen on 127.0.0.1:${port}: the port is in use`],
      [['--port', '0', '--db', garbage], `${garbage} is not a usable monitor database`],
    ] as const) {
      const again = spawn(process.execPath, [BIN, 'monitor', '--broker', BROKER, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      again.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      expect(await new Promise((resolve) => again.once('exit', resolve))).toBe(1);
      expect(stderr.startsWith(`longshore monitor: ${line}`)).toBe(true);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const bad = spawn(process.execPath, [BIN, 'monitor', '--port', 'eighty', '--broker', BROKER], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    bad.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await new Promise((resolve) => bad.once('exit', resolve))).toBe(2);
    expect(stderr).toBe(
      "longshore monitor: invalid --port 'eighty': expected a number from 0 to 65535 (see 'longshore monitor --help')\n",
    );
  });
});
