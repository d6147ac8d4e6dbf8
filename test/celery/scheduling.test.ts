// What a worker does with time: ETA / countdown held without blocking others, expires, retries,
// soft and hard time limits, and revoke (before and during the run).
import { describe, expect, it } from 'vitest';
import {
  RemoteTaskError,
  TaskCancelledError,
  configure,
  dockerRun,
  type TaskState,
} from '../../src/index.js';
import { CONFORMANCE, listTaskContainers, waitForRunningTaskContainer } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection } from '../helpers/task.js';
import { BROKER, useBroker } from './helpers/broker.js';
import { flaky, sleepTask } from './helpers/test-tasks.js';

useLeakChecks({ fds: false });
const broker = useBroker();

async function workerOn(label: string, concurrency = 1): Promise<string> {
  const queue = broker.queue(label);
  await broker.startWorker({ queues: [queue], concurrency, hostname: broker.hostname(label) });
  configure({ broker: BROKER });
  return queue;
}

describe('eta, countdown and expires', () => {
  it('holds a countdown task without blocking an immediate one (concurrency 1)', async () => {
    const queue = await workerOn('eta');
    const sentAt = Date.now();
    const later = sleepTask.applyAsync([10], {}, { queue, countdown: 2 });
    const now = sleepTask.applyAsync([10], {}, { queue });
    const [laterResult, nowResult] = await Promise.all([
      later.get({ timeout: 30_000 }),
      now.get({ timeout: 30_000 }),
    ]);
    // With one slot and one unacknowledged message, the immediate task could only come after the
    // countdown one, unless the worker widens its prefetch window for the task it holds.
    expect(nowResult.finishedAt).toBeLessThan(laterResult.finishedAt);
    expect(laterResult.finishedAt - sentAt).toBeGreaterThanOrEqual(1900);
  });

  it('reports a task that expired before it could run as REVOKED', async () => {
    const queue = await workerOn('expires');
    const handle = sleepTask.applyAsync([10], {}, { queue, countdown: 1.5, expires: 0.5 });
    const error = await rejection(handle.get({ timeout: 30_000 }));
    expect(error).toBeInstanceOf(TaskCancelledError);
    expect((error as TaskCancelledError).cause).toMatchObject({
      excType: 'TaskRevokedError',
      excMessage: 'expired',
    });
    expect(handle.status).toBe('REVOKED');
  });
});

describe('retries', () => {
  it('runs a task again, with retries + 1, when it throws Retry', async () => {
    const queue = await workerOn('retry');
    const handle = flaky.applyAsync([2], {}, { queue });
    const statuses: TaskState[] = [];
    handle.on('status', (s) => statuses.push(s));
    await expect(handle.get({ timeout: 30_000 })).resolves.toEqual({ retries: 2, taskId: handle.id });
    expect(statuses.filter((s) => s === 'RETRY')).toHaveLength(2);
    expect(statuses.at(-1)).toBe('SUCCESS');
  });

  it('fails with MaxRetriesExceededError beyond maxRetries', async () => {
    const queue = await workerOn('max-retries');
    const error = (await rejection(
      flaky.applyAsync([9], {}, { queue }).get({ timeout: 30_000 }),
    )) as RemoteTaskError;
    expect(error).toMatchObject({ excType: 'MaxRetriesExceededError', excModule: 'celery.exceptions' });
    expect(error.excMessage).toMatch(/max retries \(5\) exceeded/);
  });
});

describe('time limits', () => {
  it('soft: the container gets SIGTERM and the task fails with SoftTimeLimitExceeded', async () => {
    const queue = await workerOn('soft');
    const started = Date.now();
    const handle = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['sigterm'] },
      { queue, softTimeLimit: 1 },
    );
    const error = (await rejection(handle.get({ timeout: 60_000 }))) as RemoteTaskError;
    expect(error).toMatchObject({ excType: 'SoftTimeLimitExceeded', excModule: 'celery.exceptions' });
    expect(Date.now() - started).toBeLessThan(9_000);
    expect(await listTaskContainers(handle.id)).toEqual([]);
  });

  it('hard: a container that ignores SIGTERM is killed, TimeLimitExceeded', async () => {
    const queue = await workerOn('hard');
    const started = Date.now();
    const handle = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['sigkill'] },
      { queue, softTimeLimit: 1, timeLimit: 2 },
    );
    const error = (await rejection(handle.get({ timeout: 60_000 }))) as RemoteTaskError;
    expect(error).toMatchObject({ excType: 'TimeLimitExceeded', excModule: 'celery.exceptions' });
    // Not the 10 s stop grace after the soft limit: the hard limit killed it.
    expect(Date.now() - started).toBeLessThan(9_000);
    expect(await listTaskContainers(handle.id)).toEqual([]);
  });
});

describe('revoke', () => {
  it('before the run: the task never runs and ends REVOKED', async () => {
    const queue = await workerOn('revoke-early');
    const handle = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['stdio', '-m', 'x'] },
      { queue, countdown: 30 },
    );
    // Wait until the worker holds it (its STARTED would come only in 30 s).
    await expect.poll(() => broker.admin.depth(queue), { timeout: 10_000 }).toBe(0);
    await handle.revoke();
    const error = await rejection(handle.get({ timeout: 30_000 }));
    expect(error).toBeInstanceOf(TaskCancelledError);
    expect(handle.status).toBe('REVOKED');
    expect(await listTaskContainers(handle.id)).toEqual([]);
  });

  it('with terminate during the run (or cancel()): the container is stopped (SIGTERM), or killed with SIGKILL', async () => {
    const queue = await workerOn('revoke-running', 2);
    const polite = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['sigterm'] },
      { queue },
    );
    const stubborn = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['sigkill'] },
      { queue },
    );
    await Promise.all([waitForRunningTaskContainer(polite.id), waitForRunningTaskContainer(stubborn.id)]);
    const started = Date.now();
    polite.cancel(); // for a task sent to a worker: revoke({ terminate: true })
    await stubborn.revoke({ terminate: true, signal: 'SIGKILL' });
    for (const handle of [polite, stubborn]) {
      expect(await rejection(handle.get({ timeout: 30_000 }))).toBeInstanceOf(TaskCancelledError);
      expect(handle.status).toBe('REVOKED');
    }
    // SIGKILL did not wait for the 10 s stop grace.
    expect(Date.now() - started).toBeLessThan(9_000);
  });
});
