// Volumes against the real engine: bind mounts, temporary volumes, VolumePath and site defaults.
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BindMountVolume,
  ContainerExitError,
  TemporaryVolume,
  VolumePath,
  dockerRun,
  type ResultHook,
} from '../../src/index.js';
import { BUSYBOX, CONFORMANCE } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection, useScratchDir, watch, withEnv, worldWritable } from '../helpers/task.js';

const leaks = useLeakChecks();
const scratch = useScratchDir();
let seq = 0;

/** A fresh, world-writable host directory for one test. */
async function hostDir(): Promise<string> {
  const dir = join(scratch, `dir-${++seq}`);
  await mkdir(dir);
  return worldWritable(dir);
}

describe('BindMountVolume', () => {
  it('mounts read-write: the container writes a host file', async () => {
    const dir = await hostDir();
    const volume = new BindMountVolume(dir, '/data', 'rw');
    await dockerRun
      .delay(CONFORMANCE, {
        containerArgs: ['write', '-m', 'written', '-p', '/data/out.txt'],
        volumes: [volume],
      })
      .get();
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('written');
  });

  it('mounts read-only: the container reads but cannot write', async () => {
    const dir = await hostDir();
    await writeFile(join(dir, 'in.txt'), 'from the host');
    const volume = new BindMountVolume(dir, '/data', 'ro');

    const read = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['read', '-p', '/data/in.txt'],
      volumes: [volume],
    });
    const seen = watch(read);
    await read.get();
    expect(seen.stdout).toBe('from the host');

    const error = await rejection(
      dockerRun
        .delay(CONFORMANCE, { containerArgs: ['write', '-m', 'x', '-p', '/data/out.txt'], volumes: [volume] })
        .get(),
    );
    expect(error).toBeInstanceOf(ContainerExitError);
    expect((error as ContainerExitError).stderrTail).toMatch(/read-only file system/i);
    await expect(stat(join(dir, 'out.txt'))).rejects.toThrow(/ENOENT/);
  });

  it('becomes its container path as an argument', async () => {
    const dir = await hostDir();
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['print-path', '-p', new BindMountVolume(dir, '/data')],
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toBe('/data\n');
  });

  it("the same host directory at '/data/' and '/data' is one mount, not a duplicate", async () => {
    const dir = await hostDir();
    await writeFile(join(dir, 'here.txt'), '');
    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: ['ls', '/data'],
      volumes: [new BindMountVolume(dir, '/data/'), new BindMountVolume(dir, '/data')],
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toBe('here.txt\n');
  });
});

describe('dict volumes', () => {
  it('mounts {host: {bind, mode}} entries, rw by default and ro when asked', async () => {
    const rw = await hostDir();
    const ro = await hostDir();
    await writeFile(join(ro, 'in.txt'), 'readonly input');
    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: [
        'sh',
        '-c',
        'cat /in/in.txt > /out/copy.txt && if touch /in/nope 2>/dev/null; then echo wrote-ro; else echo ro-refused; fi',
      ],
      volumes: { [rw]: { bind: '/out' }, [ro]: { bind: '/in', mode: 'ro' } },
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toBe('ro-refused\n');
    expect(await readFile(join(rw, 'copy.txt'), 'utf8')).toBe('readonly input');
  });
});

describe('VolumePath', () => {
  it('in a bind volume: the container writes where the host finds it', async () => {
    const dir = await hostDir();
    const out = new VolumePath('nested/../result.txt', new BindMountVolume(dir, '/data'));
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['write', '-m', 'result', '-p', out] });
    await handle.get();
    expect(await readFile(join(dir, 'result.txt'), 'utf8')).toBe('result');
  });

  it('in the default temporary volume: /mnt/girder_worker/<hex>/name, readable by a hook', async () => {
    const out = new VolumePath('result.txt');
    const hook: ResultHook = {
      async run(ctx) {
        const hostPath = await out.hostPath(ctx);
        return { hostPath, content: await readFile(hostPath, 'utf8') };
      },
    };
    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: ['sh', '-c', 'printf %s "$0" > "$0" && echo "$0"', out],
      girderResultHooks: [hook],
    });
    const seen = watch(handle);
    const result = await handle.get();
    const containerPath = seen.stdout.trim();
    expect(containerPath).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\/result\.txt$/);
    const [hookResult] = result.hookResults as { hostPath: string; content: string }[];
    expect(hookResult?.content).toBe(containerPath);
    expect(hookResult?.hostPath.startsWith(leaks.tempRoot)).toBe(true);
  });

  it('used twice in one task resolves to the same path', async () => {
    const path = new VolumePath('same.txt');
    const handle = dockerRun.delay(BUSYBOX, { containerArgs: ['sh', '-c', 'echo "$0|$1"', path, path] });
    const seen = watch(handle);
    await handle.get();
    const [first, second] = seen.stdout.trim().split('|');
    expect(first).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\/same\.txt$/);
    expect(second).toBe(first);
  });

  it('resolves inside nested argument structures too', async () => {
    const path = new VolumePath('deep.txt');
    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: ['echo', { files: [path], n: 1 }],
    });
    const seen = watch(handle);
    await handle.get();
    const parsed = JSON.parse(seen.stdout) as { files: string[]; n: number };
    expect(parsed.n).toBe(1);
    expect(parsed.files[0]).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\/deep\.txt$/);
  });
});

describe('TemporaryVolume', () => {
  it("TemporaryVolume.default as an argument is the task's temp volume path, not 'None'", async () => {
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['print-path', '-p', TemporaryVolume.default],
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\n$/);
  });

  it('TemporaryVolume.default is the same mount a VolumePath uses by default', async () => {
    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: ['sh', '-c', 'echo "$0|$1"', TemporaryVolume.default, new VolumePath('f')],
    });
    const seen = watch(handle);
    await handle.get();
    const [volume, file] = seen.stdout.trim().split('|');
    expect(file).toBe(`${volume}/f`);
  });

  it('a new TemporaryVolume is a second, separate mount', async () => {
    const extra = new TemporaryVolume();
    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: ['sh', '-c', 'echo "$0|$1" && touch "$1/written"', TemporaryVolume.default, extra],
      volumes: [extra],
    });
    const seen = watch(handle);
    await handle.get();
    const [first, second] = seen.stdout.trim().split('|');
    expect(first).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}$/);
    expect(second).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}$/);
    expect(second).not.toBe(first);
  });

  it('with hostDir: lives in that directory while the task runs, and is gone after', async () => {
    const parent = join(await hostDir(), 'created-for-the-task');
    const volume = new TemporaryVolume(parent);
    const file = new VolumePath('data.txt', volume);
    const hook: ResultHook = {
      async run(ctx) {
        return { entries: await readdir(parent), content: await readFile(await file.hostPath(ctx), 'utf8') };
      },
    };
    const result = await dockerRun
      .delay(CONFORMANCE, {
        containerArgs: ['write', '-m', 'in hostDir', '-p', file],
        girderResultHooks: [hook],
      })
      .get();
    const [seen] = result.hookResults as { entries: string[]; content: string }[];
    expect(seen?.content).toBe('in hostDir');
    expect(seen?.entries).toHaveLength(1);
    expect(seen?.entries[0]).toMatch(new RegExp(`^longshore-${process.pid}-`));
    expect(await readdir(parent)).toEqual([]);
  });

  it('files the container created as root (restrictive modes) are removed with the volume', async () => {
    const dir = new VolumePath('root-owned');
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['write-root-files', '-d', dir] });
    await handle.get();
    // The leak check after this test proves the temp root is empty.
    await leaks.assertNoLeaks();
  });
});

describe('site defaults from the environment', () => {
  it('GIRDER_WORKER_DOCKER_RUN_OPTIONS volumes "host:container" are read-only by default', async () => {
    const dir = await hostDir();
    await writeFile(join(dir, 'site.txt'), 'site data');
    const handle = await withEnv(
      { GIRDER_WORKER_DOCKER_RUN_OPTIONS: JSON.stringify({ volumes: [`${dir}:/site`] }) },
      async () => {
        const h = dockerRun.delay(BUSYBOX, {
          containerArgs: [
            'sh',
            '-c',
            'cat /site/site.txt; if touch /site/new 2>/dev/null; then echo " rw"; else echo " ro"; fi',
          ],
        });
        const seen = watch(h);
        await h.get();
        return seen;
      },
    );
    expect(handle.stdout).toBe('site data ro\n');
    await expect(stat(join(dir, 'new'))).rejects.toThrow(/ENOENT/);
  });

  it('GIRDER_WORKER_DOCKER_RUN_OPTIONS volumes honour an explicit :rw', async () => {
    const dir = await hostDir();
    await withEnv(
      { GIRDER_WORKER_DOCKER_RUN_OPTIONS: JSON.stringify({ volumes: [`${dir}:/site:rw`] }) },
      () => dockerRun.delay(BUSYBOX, { containerArgs: ['touch', '/site/new'] }).get(),
    );
    expect((await stat(join(dir, 'new'))).isFile()).toBe(true);
  });

  it('LONGSHORE_DOCKER_RUN_OPTIONS environment applies, and adds up with the task environment', async () => {
    const seen = await withEnv(
      { LONGSHORE_DOCKER_RUN_OPTIONS: JSON.stringify({ environment: { SITE_VAR: 'from site' } }) },
      async () => {
        const h = dockerRun.delay(BUSYBOX, {
          containerArgs: ['sh', '-c', 'echo "$SITE_VAR|$TASK_VAR"'],
          environment: { TASK_VAR: 'from task' },
        });
        const watched = watch(h);
        await h.get();
        return watched;
      },
    );
    expect(seen.stdout).toBe('from site|from task\n');
  });

  it('the task options win over LONGSHORE_DOCKER_RUN_OPTIONS', async () => {
    const seen = await withEnv(
      { LONGSHORE_DOCKER_RUN_OPTIONS: JSON.stringify({ workingDir: '/tmp' }) },
      async () => {
        const h = dockerRun.delay(CONFORMANCE, { containerArgs: ['pwd'], workingDir: '/etc' });
        const watched = watch(h);
        await h.get();
        return watched;
      },
    );
    expect(seen.stdout).toBe('/etc\n');
  });
});
