// A longshore client and a longshore worker over the real RabbitMQ: dockerRun and custom tasks,
// success and the typed failures, the message as it is on the wire.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BindMountVolume,
  RemoteTaskError,
  Task,
  TemporaryVolume,
  VolumePath,
  configure,
  dockerRun,
  getConfiguration,
  resetConfiguration,
  type TaskState,
} from '../../src/index.js';
import { CONFORMANCE } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection, useScratchDir, worldWritable } from '../helpers/task.js';
import { BROKER, useBroker } from './helpers/broker.js';
import { add, keyError, unsendable } from './helpers/test-tasks.js';

const run = promisify(execFile);

useLeakChecks({ fds: false });
const broker = useBroker();
const scratch = useScratchDir();

describe('longshore client → longshore worker', () => {
  it('runs dockerRun on the worker and returns { exitCode, hookResults }, with the Celery states', async () => {
    const queue = broker.queue('docker');
    await broker.startWorker({ queues: [queue], concurrency: 1, hostname: broker.hostname('w') });
    configure({ broker: BROKER });
    const out = await worldWritable(scratch);
    const data = new BindMountVolume(out, '/mnt/out');
    const scratchVolume = new TemporaryVolume();
    const run = dockerRun.applyAsync(
      [CONFORMANCE],
      {
        pullImage: false,
        // One TemporaryVolume used twice (py/id on the wire), and a path in a bind mount.
        containerArgs: [
          'read-write',
          '-i',
          new VolumePath('missing', scratchVolume),
          '-o',
          new VolumePath('copy.txt', data),
        ],
        volumes: [data, scratchVolume],
      },
      { queue },
    );
    const statuses: TaskState[] = [];
    run.on('status', (s) => statuses.push(s));
    // cat of a missing file fails: the failure carries the Python exception's names.
    const error = (await rejection(run.get({ timeout: 60_000 }))) as RemoteTaskError;
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect(error.code).toBe('ERR_REMOTE_TASK');
    expect(error.excType).toBe('ContainerExitError');
    expect(error.excModule).toBe('longshore.errors');
    expect(error.excMessage).toMatch(/Non-zero exit code from docker container \(1\)/);
    expect(error.traceback).toContain('ContainerExitError');
    expect(run.status).toBe('FAILURE');
    expect(statuses).toEqual(['STARTED', 'FAILURE']);

    const ok = dockerRun.applyAsync(
      [CONFORMANCE],
      {
        pullImage: false,
        containerArgs: ['write', '-m', 'over the wire', '-p', new VolumePath('hello.txt', data)],
      },
      { queue },
    );
    await expect(ok.get({ timeout: 60_000 })).resolves.toEqual({ exitCode: 0, hookResults: [] });
    expect(ok.status).toBe('SUCCESS');
    expect(await readFile(join(out, 'hello.txt'), 'utf8')).toBe('over the wire');
  });

  it('routes delay() to the broker named by LONGSHORE_BROKER_URL, and runs in-process without one', async () => {
    resetConfiguration();
    expect(getConfiguration({}).broker).toBeUndefined();
    // In-process: no broker, same handle API.
    const local = dockerRun.delay(CONFORMANCE, { pullImage: false, containerArgs: ['stdio', '-m', 'local'] });
    await expect(local.get({ timeout: 60_000 })).resolves.toEqual({ exitCode: 0, hookResults: [] });
    expect(getConfiguration({ LONGSHORE_BROKER_URL: BROKER }).broker).toBe(BROKER);

    const queue = broker.queue('default');
    await broker.startWorker({ queues: [queue], concurrency: 1, hostname: broker.hostname('w') });
    process.env.LONGSHORE_BROKER_URL = BROKER;
    try {
      await expect(add.applyAsync([20, 22], {}, { queue }).get({ timeout: 30_000 })).resolves.toBe(42);
    } finally {
      delete process.env.LONGSHORE_BROKER_URL;
    }
  });

  it('closeAll() releases the connections: a script that sent a task exits by itself', async () => {
    const queue = broker.queue('script');
    await broker.startWorker({ queues: [queue], concurrency: 1, hostname: broker.hostname('w') });
    const script = fileURLToPath(new URL('./helpers/client-script.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script, queue], {
      env: { ...process.env, LONGSHORE_BROKER_URL: BROKER },
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('42');
  });

  it('fails an unknown task with NotRegistered, acknowledged, and keeps serving', async () => {
    const queue = broker.queue('unknown');
    await broker.startWorker({ queues: [queue], concurrency: 1, hostname: broker.hostname('w') });
    configure({ broker: BROKER });
    const unknown = new Task<[number], number>('lstest.not-there', () => Promise.resolve(0));
    const error = (await rejection(
      unknown.applyAsync([1], {}, { queue }).get({ timeout: 30_000 }),
    )) as RemoteTaskError;
    expect(error).toMatchObject({
      excType: 'NotRegistered',
      excModule: 'celery.exceptions',
      excMessage: 'lstest.not-there',
    });
    await expect(add.applyAsync([1, 2], {}, { queue }).get({ timeout: 30_000 })).resolves.toBe(3);
    expect(await broker.admin.depth(queue)).toBe(0);
  });

  it('maps errors to the Python exception a task names; ignoreResult resolves at once', async () => {
    const queue = broker.queue('errors');
    const worker = await broker.startWorker({
      queues: [queue],
      concurrency: 2,
      hostname: broker.hostname('w'),
    });
    configure({ broker: BROKER });
    const error = (await rejection(
      keyError.applyAsync(['missing'], {}, { queue }).get({ timeout: 30_000 }),
    )) as RemoteTaskError;
    expect(error).toMatchObject({ excType: 'KeyError', excModule: 'builtins', excArgs: ['missing'] });

    const big = (await rejection(
      unsendable.applyAsync([], {}, { queue }).get({ timeout: 30_000 }),
    )) as RemoteTaskError;
    expect(big).toMatchObject({ excType: 'ValueError', excModule: 'builtins' });
    expect(big.excMessage).toMatch(/cannot be sent as JSON/);

    const quiet = add.applyAsync([1, 1], {}, { queue, ignoreResult: true });
    await expect(quiet.get({ timeout: 30_000 })).resolves.toBeUndefined();
    // The worker still ran it.
    await expect.poll(() => worker.totals.get('lstest.add'), { timeout: 30_000 }).toBe(1);
  });

  it('sends Celery protocol v2 exactly: properties, headers (ints as int32), [args, kwargs, embed]', async () => {
    const queue = broker.queue('wire');
    configure({ broker: BROKER });
    const expires = new Date(Date.now() + 600_000);
    const handle = add.applyAsync(
      [2, -2],
      { k: 1 },
      {
        queue,
        countdown: 30,
        expires,
        timeLimit: 300,
        softTimeLimit: 60,
        priority: 5,
        headers: { custom: -1 },
      },
    );
    handle.get().catch(() => undefined);
    // No worker: read the message as it sits in the queue.
    const channel = broker.admin.channel;
    await expect.poll(() => broker.admin.depth(queue), { timeout: 10_000 }).toBe(1);
    const message = await new Promise<import('../../src/celery/amqp/connection.js').DeliveredMessage>(
      (resolve, reject) => {
        channel.consume(queue, (m) => m && resolve(m), { noAck: true }).catch(reject);
      },
    );
    expect(message).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 5,
      correlationId: handle.id,
      exchange: '',
      routingKey: queue,
    });
    expect(Number(message.expiration)).toBeGreaterThan(590_000);
    expect(message.replyTo).toMatch(/^[0-9a-f-]{36}$/);
    expect(message.headers).toMatchObject({
      lang: 'py',
      task: 'lstest.add',
      id: handle.id,
      root_id: handle.id,
      parent_id: null,
      group: null,
      retries: 0,
      timelimit: [300, 60],
      argsrepr: '(2, -2)',
      kwargsrepr: "{'k': 1}",
      ignore_result: false,
      custom: -1,
      expires: expires.toISOString().replace('Z', '000+00:00'),
    });
    expect(String(message.headers.eta)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(String(message.headers.origin)).toMatch(/^gen\d+@/);
    expect(JSON.parse(message.content.toString())).toEqual([
      [2, -2],
      { k: 1 },
      { callbacks: null, errbacks: null, chain: null, chord: null },
    ]);
  });
});
