// Cancelling tasks whose containers run on the real engine: cancel(), AbortSignals, grace periods.
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { Connect, ContainerStdOut, TaskCancelledError, dockerRun } from '../../src/index.js';
import {
  CONFORMANCE,
  REGISTRY_CONFORMANCE,
  containersCreatedSince,
  listTaskContainers,
  removeImageQuietly,
  waitForRunningTaskContainer,
} from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection, watch } from '../helpers/task.js';

useLeakChecks();

describe('cancel()', () => {
  it('stops a running container with SIGTERM: REVOKED, TaskCancelledError, container removed', async () => {
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['sigterm'] });
    const seen = watch(handle);
    await waitForRunningTaskContainer(handle.id);
    const cancelledAt = Date.now();
    handle.cancel();
    const error = await rejection(handle.get());
    expect(error).toBeInstanceOf(TaskCancelledError);
    expect((error as TaskCancelledError).code).toBe('ERR_TASK_CANCELLED');
    expect(handle.status).toBe('REVOKED');
    expect(seen.statuses).toEqual(['STARTED', 'REVOKED']);
    // The trap ran: the container got SIGTERM, and its last words were still delivered.
    expect(seen.stdout).toBe('SIGTERM received\n');
    expect(Date.now() - cancelledAt).toBeLessThan(8000);
    expect(await listTaskContainers(handle.id)).toEqual([]);
  });

  it('kills a container that ignores SIGTERM after stopTimeout', async () => {
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['sigkill'], stopTimeout: 1 });
    await waitForRunningTaskContainer(handle.id);
    const cancelledAt = Date.now();
    handle.cancel();
    const error = await rejection(handle.get());
    const took = Date.now() - cancelledAt;
    expect(error).toBeInstanceOf(TaskCancelledError);
    expect(handle.status).toBe('REVOKED');
    // ~1 s of grace then SIGKILL: far below the 30 s the container would sleep.
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(6000);
    expect(await listTaskContainers(handle.id)).toEqual([]);
  });

  it('ends a cancelled task whose container output feeds a Connect', async () => {
    // The cancelled pump destroys its stream, which never drains: the output must not stall on it.
    const sink = new PassThrough();
    sink.resume();
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['sigterm'],
      stopTimeout: 2,
      streamConnectors: [new Connect(new ContainerStdOut(), sink)],
    });
    await waitForRunningTaskContainer(handle.id);
    handle.cancel();
    expect(await rejection(handle.get())).toBeInstanceOf(TaskCancelledError);
    expect(await listTaskContainers(handle.id)).toEqual([]);
  });

  it('stops the container when the cancel arrives while the engine is starting it', async () => {
    // Output is attached before the start, so the first chunk can arrive before start() returns.
    const handle = dockerRun.delay(CONFORMANCE, { entrypoint: ['yes'], containerArgs: [], stopTimeout: 1 });
    handle.once('log', () => handle.cancel());
    expect(await rejection(handle.get())).toBeInstanceOf(TaskCancelledError);
    expect(handle.status).toBe('REVOKED');
    expect(await listTaskContainers(handle.id)).toEqual([]);
  });

  it('cancel() after the task finished changes nothing', async () => {
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['stdio', '-m', 'done'] });
    await handle.get();
    handle.cancel();
    expect(handle.status).toBe('SUCCESS');
    await expect(handle.get()).resolves.toEqual({ exitCode: 0, hookResults: [] });
  });

  it('cancel() right after delay(): REVOKED, no container ever created', async () => {
    const since = Date.now();
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['sigkill'] });
    const seen = watch(handle);
    handle.cancel();
    const error = await rejection(handle.get());
    expect(error).toBeInstanceOf(TaskCancelledError);
    expect(handle.status).toBe('REVOKED');
    expect(seen.statuses).toEqual(['REVOKED']);
    expect(await containersCreatedSince(since)).toEqual([]);
  });
});

describe('AbortSignal', () => {
  it('an already aborted signal: TaskCancelledError, REVOKED, no container created', async () => {
    const since = Date.now();
    const controller = new AbortController();
    controller.abort();
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['sigkill'], signal: controller.signal });
    const error = await rejection(handle.get());
    expect(error).toBeInstanceOf(TaskCancelledError);
    expect(handle.status).toBe('REVOKED');
    expect(await containersCreatedSince(since)).toEqual([]);
  });

  it('aborting a running task stops its container', async () => {
    const controller = new AbortController();
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['sigterm'],
      signal: controller.signal,
    });
    const seen = watch(handle);
    await waitForRunningTaskContainer(handle.id);
    controller.abort(new Error('the caller lost interest'));
    const error = await rejection(handle.get());
    expect(error).toBeInstanceOf(TaskCancelledError);
    expect(handle.status).toBe('REVOKED');
    expect(seen.stdout).toBe('SIGTERM received\n');
  });

  it('aborting during the image pull: TaskCancelledError, no container created', async () => {
    const since = Date.now();
    await removeImageQuietly(REGISTRY_CONFORMANCE);
    const controller = new AbortController();
    try {
      const handle = dockerRun.delay(REGISTRY_CONFORMANCE, {
        containerArgs: ['stdio', '-m', 'never'],
        pullImage: true,
        signal: controller.signal,
      });
      handle.once('pull', () => controller.abort());
      const error = await rejection(handle.get());
      expect(error).toBeInstanceOf(TaskCancelledError);
      expect(handle.status).toBe('REVOKED');
      expect(await containersCreatedSince(since)).toEqual([]);
    } finally {
      await removeImageQuietly(REGISTRY_CONFORMANCE);
    }
  });
});
