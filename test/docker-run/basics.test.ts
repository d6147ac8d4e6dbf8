// dockerRun against the real engine: output, exit codes, states and the container settings.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContainerExitError, dockerRun } from '../../src/index.js';
import { BUSYBOX, CONFORMANCE, LABEL_OWNER, LABEL_TASK_ID, docker, ownerPrefix } from '../helpers/docker.js';
import { removeContainerQuietly } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection, watch } from '../helpers/task.js';

useLeakChecks();

/** A container name unique to this test run. */
function uniqueName(what: string): string {
  return `longshore-test-${what}-${randomUUID().slice(0, 8)}`;
}

describe('output', () => {
  it('delivers stdout and stderr as separate log events', async () => {
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['stdout-stderr'] });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toBe('this is stdout data\n');
    expect(seen.stderr).toBe('this is stderr data\n');
    expect(seen.logs.every((l) => l.stream === 'stdout' || l.stream === 'stderr')).toBe(true);
  });

  it('never loses what the container prints the moment it starts (10 runs)', async () => {
    for (let run = 0; run < 10; run++) {
      const handle = dockerRun.delay(CONFORMANCE, {
        containerArgs: ['stderr-then-exit', '-m', 'early', '-c', '0'],
      });
      const seen = watch(handle);
      await handle.get();
      expect(seen.stderr, `run ${run}`).toBe('early\n');
    }
  });
});

describe('result and exit code', () => {
  it('resolves with the exit code and the hook results', async () => {
    const result = await dockerRun.delay(CONFORMANCE, { containerArgs: ['stdio', '-m', 'hi'] }).get();
    expect(result).toEqual({ exitCode: 0, hookResults: [] });
  });

  it('rejects a non-zero exit with ContainerExitError carrying the code and the end of stderr', async () => {
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['raise-exception'] });
    const seen = watch(handle);
    const error = await rejection(handle.get());
    expect(error).toBeInstanceOf(ContainerExitError);
    const exit = error as ContainerExitError;
    expect(exit.exitCode).toBe(1);
    expect(exit.stderrTail).toContain('girder docker exception');
    expect(exit.message).toContain('girder docker exception');
    expect(exit.code).toBe('ERR_CONTAINER_EXIT');
    expect(handle.status).toBe('FAILURE');
    expect(seen.statuses).toEqual(['STARTED', 'FAILURE']);
  });

  it('reports other exit codes as they are', async () => {
    const error = await rejection(
      dockerRun.delay(CONFORMANCE, { containerArgs: ['exit', '-c', '42'] }).get(),
    );
    expect(error).toBeInstanceOf(ContainerExitError);
    expect((error as ContainerExitError).exitCode).toBe(42);
  });

  it('goes PENDING -> STARTED -> SUCCESS', async () => {
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['stdio', '-m', 'x'] });
    expect(handle.status).toBe('PENDING');
    expect(handle.ready).toBe(false);
    const seen = watch(handle);
    await handle.get();
    expect(seen.statuses).toEqual(['STARTED', 'SUCCESS']);
    expect(handle.status).toBe('SUCCESS');
    expect(handle.ready).toBe(true);
  });
});

describe('container settings', () => {
  it('passes environment variables given as a dict', async () => {
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['env', '-n', 'LONGSHORE_GREETING'],
      environment: { LONGSHORE_GREETING: 'hello world' },
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toBe('hello world\n');
  });

  it('passes environment variables given as a list', async () => {
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['env', '-n', 'LONGSHORE_GREETING'],
      environment: ['LONGSHORE_GREETING=a=b c'],
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toBe('a=b c\n');
  });

  it('runs in workingDir', async () => {
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['pwd'], workingDir: '/tmp' });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toBe('/tmp\n');
  });

  it('runs as user', async () => {
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['whoami'], user: '65534' });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toBe('65534\n');
  });

  it('takes a string entrypoint as one executable', async () => {
    const handle = dockerRun.delay(BUSYBOX, { entrypoint: 'echo', containerArgs: ['from', 'echo'] });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toBe('from echo\n');
  });

  it('takes a list entrypoint as the command and its first arguments', async () => {
    const handle = dockerRun.delay(CONFORMANCE, {
      entrypoint: ['sh', '-c', 'echo "$0|$1"'],
      containerArgs: ['first', 'second'],
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toBe('first|second\n');
  });

  it('labels the container with the caller labels, its owner and its task', async () => {
    const name = uniqueName('labels');
    try {
      const handle = dockerRun.delay(BUSYBOX, {
        containerArgs: ['true'],
        removeContainer: false,
        name,
        labels: { 'org.example.purpose': 'test' },
      });
      await handle.get();
      const info = await docker.getContainer(name).inspect();
      expect(info.Name).toBe(`/${name}`);
      expect(info.Config.Labels['org.example.purpose']).toBe('test');
      expect(info.Config.Labels[LABEL_OWNER]).toMatch(new RegExp(`^${ownerPrefix()}\\d+$`));
      expect(info.Config.Labels[LABEL_TASK_ID]).toBe(handle.id);
      expect(info.State.Status).toBe('exited');
    } finally {
      await removeContainerQuietly(name);
    }
  });

  it('sets memory, cpus and shmSize in the HostConfig', async () => {
    const name = uniqueName('limits');
    try {
      await dockerRun
        .delay(BUSYBOX, {
          containerArgs: ['true'],
          removeContainer: false,
          name,
          memory: '64m',
          cpus: 0.5,
          shmSize: 8 * 1024 * 1024,
        })
        .get();
      const { HostConfig } = await docker.getContainer(name).inspect();
      expect(HostConfig.Memory).toBe(64 * 1024 * 1024);
      expect(HostConfig.NanoCpus).toBe(500_000_000);
      expect(HostConfig.ShmSize).toBe(8 * 1024 * 1024);
    } finally {
      await removeContainerQuietly(name);
    }
  });

  it('passes createOptions through to the engine', async () => {
    const ok = dockerRun.delay(BUSYBOX, {
      containerArgs: ['sh', '-c', 'touch /tmp/x && echo wrote'],
      createOptions: { HostConfig: { ReadonlyRootfs: false } },
    });
    const okSeen = watch(ok);
    await ok.get();
    expect(okSeen.stdout).toBe('wrote\n');

    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: ['sh', '-c', 'touch /x'],
      createOptions: { HostConfig: { ReadonlyRootfs: true } },
    });
    const error = await rejection(handle.get());
    expect(error).toBeInstanceOf(ContainerExitError);
    expect((error as ContainerExitError).stderrTail).toMatch(/read-only file system/i);
  });

  it('keeps the mounts longshore makes when createOptions sets other HostConfig fields', async () => {
    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: ['sh', '-c', 'ls -d /mnt/girder_worker/*'],
      createOptions: { HostConfig: { ReadonlyRootfs: true } },
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\n$/);
  });

  it("runs with network 'none': only the loopback interface", async () => {
    const handle = dockerRun.delay(BUSYBOX, { containerArgs: ['ls', '/sys/class/net'], network: 'none' });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout.split(/\s+/).filter(Boolean)).toEqual(['lo']);
  });
});
