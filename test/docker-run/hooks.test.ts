// Result hooks around a real container: what they see, what they return, and how they fail.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  ContainerExitError,
  ImageNotFoundError,
  ResultHookError,
  VolumePath,
  dockerRun,
  type ResultHook,
  type TaskContext,
  type TaskOutcome,
} from '../../src/index.js';
import { CONFORMANCE } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection, watch } from '../helpers/task.js';

useLeakChecks();

/** A hook that records its calls and answers with `answer`. */
function recordingHook(
  answer: (ctx: TaskContext, outcome: TaskOutcome) => Promise<unknown>,
  runOnFailure = false,
): ResultHook & { calls: TaskOutcome[] } {
  const calls: TaskOutcome[] = [];
  return {
    calls,
    runOnFailure,
    async run(ctx, outcome) {
      calls.push(outcome);
      return answer(ctx, outcome);
    },
  };
}

describe('result hooks', () => {
  it("see the exit code, read a VolumePath's host file, and their values land in hookResults", async () => {
    const output = new VolumePath('result.txt');
    const reader = recordingHook(async (ctx, outcome) => ({
      exitCode: outcome.exitCode,
      content: await readFile(await output.hostPath(ctx), 'utf8'),
    }));
    const constant = recordingHook(() => Promise.resolve(42));
    const result = await dockerRun
      .delay(CONFORMANCE, {
        containerArgs: ['write', '-m', 'hook input', '-p', output],
        girderResultHooks: [reader, constant],
      })
      .get();
    expect(result).toEqual({ exitCode: 0, hookResults: [{ exitCode: 0, content: 'hook input' }, 42] });
    expect(reader.calls).toEqual([{ exitCode: 0 }]);
  });

  it('prepare() runs before the container and can mount what the hook needs', async () => {
    const order: string[] = [];
    const output = new VolumePath('prepared.txt');
    let containerPath = '';
    const hook: ResultHook = {
      async prepare(ctx) {
        order.push('prepare');
        containerPath = await output.resolve(ctx);
      },
      async run(ctx) {
        order.push('run');
        return readFile(await output.hostPath(ctx), 'utf8');
      },
    };
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['write', '-m', 'prepared', '-p', output],
      girderResultHooks: [hook],
    });
    handle.on('status', (state) => order.push(state));
    const result = await handle.get();
    expect(order).toEqual(['STARTED', 'prepare', 'run', 'SUCCESS']);
    expect(containerPath).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\/prepared\.txt$/);
    expect(result.hookResults).toEqual(['prepared']);
  });

  it('a failing hook fails the task with ResultHookError', async () => {
    const ok = recordingHook(() => Promise.resolve('fine'));
    const failing = recordingHook(() => Promise.reject(new Error('hook exploded')));
    const never = recordingHook(() => Promise.resolve('unreached'));
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['stdio', '-m', 'x'],
      girderResultHooks: [ok, failing, never],
    });
    const error = await rejection(handle.get());
    expect(error).toBeInstanceOf(ResultHookError);
    expect((error as ResultHookError).hookIndex).toBe(1);
    expect((error as ResultHookError).message).toContain('hook exploded');
    expect(handle.status).toBe('FAILURE');
    expect(never.calls).toEqual([]);
  });

  it('runOnFailure hooks run after a failed container; the ContainerExitError is not masked', async () => {
    const onFailure = recordingHook(() => Promise.resolve('cleaned up'), true);
    const onSuccessOnly = recordingHook(() => Promise.resolve('unreached'));
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['raise-exception'],
      girderResultHooks: [onSuccessOnly, onFailure],
    });
    const error = await rejection(handle.get());
    expect(error).toBeInstanceOf(ContainerExitError);
    expect((error as ContainerExitError).exitCode).toBe(1);
    expect(onSuccessOnly.calls).toEqual([]);
    expect(onFailure.calls).toHaveLength(1);
    expect(onFailure.calls[0]?.exitCode).toBe(1);
    expect(onFailure.calls[0]?.error).toBe(error);
  });

  it("a runOnFailure hook's own failure after a failed task is only a warning", async () => {
    const failing = recordingHook(() => Promise.reject(new Error('could not clean up')), true);
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['exit', '-c', '3'],
      girderResultHooks: [failing],
    });
    const seen = watch(handle);
    const error = await rejection(handle.get());
    expect(error).toBeInstanceOf(ContainerExitError);
    expect((error as ContainerExitError).exitCode).toBe(3);
    expect(failing.calls).toHaveLength(1);
    expect(seen.warnings.some((w) => w.includes('could not clean up'))).toBe(true);
  });

  it('runOnFailure hooks see exitCode null when no container ran', async () => {
    const onFailure = recordingHook(() => Promise.resolve(undefined), true);
    const error = await rejection(
      dockerRun
        .delay('longshore/does-not-exist:never', { pullImage: false, girderResultHooks: [onFailure] })
        .get(),
    );
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect(onFailure.calls).toHaveLength(1);
    expect(onFailure.calls[0]?.exitCode).toBeNull();
  });
});
