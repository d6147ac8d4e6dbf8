// A worker's life beyond single tasks: a shutdown whose grace runs out gives the running task's
// message back, and a broker that cannot be reached gives a clear error (retried by the worker,
// bounded for a client).
import { describe, expect, it } from 'vitest';
import { BrokerConnectionError, Worker, configure, dockerRun } from '../../src/index.js';
import { CONFORMANCE, listTaskContainers, waitForRunningTaskContainer } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection } from '../helpers/task.js';
import { BROKER, useBroker } from './helpers/broker.js';
import { add } from './helpers/test-tasks.js';
import { lineLogger } from '../helpers/logs.js';

useLeakChecks({ fds: false });
const broker = useBroker();

/** Nothing listens there. */
const DEAD_BROKER = 'amqp://guest:secret-password@127.0.0.1:1//';

describe('worker lifecycle', () => {
  it('a graceful stop whose grace runs out stops the container and gives the message back', async () => {
    const queue = broker.queue('grace');
    const first = await broker.startWorker({
      queues: [queue],
      concurrency: 1,
      hostname: broker.hostname('first'),
    });
    configure({ broker: BROKER });
    const handle = dockerRun.applyAsync(
      [CONFORMANCE],
      { pullImage: false, containerArgs: ['sleep', '-s', '2'], stopTimeout: 1 },
      { queue },
    );
    await waitForRunningTaskContainer(handle.id);
    await first.stop({ graceSeconds: 0.5 });
    expect(first.state).toBe('stopped');
    expect(await listTaskContainers(handle.id)).toEqual([]);
    expect(handle.status).toBe('STARTED');
    // Back in the queue, not failed: the next worker runs it, and the same handle gets the result.
    expect(await broker.admin.depth(queue)).toBe(1);
    await broker.startWorker({ queues: [queue], concurrency: 1, hostname: broker.hostname('second') });
    await expect(handle.get({ timeout: 60_000 })).resolves.toEqual({ exitCode: 0, hookResults: [] });
  });

  it('a worker retries an unreachable broker with backoff, saying why, without the password', async () => {
    const logs: string[] = [];
    const worker = new Worker({ broker: DEAD_BROKER, queues: ['never'], logger: lineLogger(logs) });
    const started = worker.start();
    await expect
      .poll(() => logs.filter((l) => /retrying in/.test(l)).length, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(2);
    await worker.close();
    await started;
    const text = logs.join('\n');
    expect(text).toMatch(
      /Cannot connect to the broker at amqp:\/\/guest:\*\*@127\.0\.0\.1:1\/\/: connection refused/,
    );
    expect(text).not.toContain('secret-password');
    expect(worker.state).toBe('stopped');
  });

  it('a client gives up after a few attempts: get() rejects with a BrokerConnectionError', async () => {
    configure({ broker: DEAD_BROKER });
    const handle = add.delay(1, 2);
    const error = await rejection(handle.get({ timeout: 30_000 }));
    expect(error).toBeInstanceOf(BrokerConnectionError);
    expect((error as BrokerConnectionError).message).toMatch(/connection refused .*gave up after 5 attempts/);
    expect((error as BrokerConnectionError).message).not.toContain('secret-password');
    expect(handle.status).toBe('FAILURE');
  });
});
