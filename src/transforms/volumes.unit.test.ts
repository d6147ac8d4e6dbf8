import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalTaskContext } from '../execution/local-task-context.js';
import { ValidationError } from '../core/errors.js';
import {
  BindMountVolume,
  DEFAULT_TEMPORARY_VOLUME,
  TemporaryVolume,
  VolumePath,
  resolveArgs,
} from './index.js';

/** Task contexts, each with its own temporary root, disposed (roots removed) after each test. */
function useTaskContexts(): { make(): Promise<LocalTaskContext>; root(): Promise<string> } {
  const contexts: LocalTaskContext[] = [];
  const roots: string[] = [];
  const root = async (): Promise<string> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'longshore-transforms-test-'));
    roots.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const ctx of contexts.splice(0)) await ctx.dispose();
    for (const dir of roots.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return {
    root,
    async make() {
      const ctx = new LocalTaskContext({ tempRoot: await root() });
      contexts.push(ctx);
      return ctx;
    },
  };
}

const TEMP_CONTAINER_PATH = /^\/mnt\/girder_worker\/[0-9a-f]{32}$/;

describe('volumes', () => {
  const contexts = useTaskContexts();

  it('the default temporary volume resolves to the task default volume container path', async () => {
    const ctx = await contexts.make();
    expect(TemporaryVolume.default).toBe(DEFAULT_TEMPORARY_VOLUME);
    const containerPath = await TemporaryVolume.default.resolve(ctx);
    expect(containerPath).toMatch(TEMP_CONTAINER_PATH);
    const mount = await ctx.defaultVolume();
    expect(containerPath).toBe(mount.containerPath);
    expect(ctx.mountList()).toEqual([mount]);
    expect(await resolveArgs([TemporaryVolume.default], ctx)).toEqual([containerPath]);
  });

  it('a TemporaryVolume is one directory per task, and a new one in each task', async () => {
    const a = await contexts.make();
    const b = await contexts.make();
    const volume = new TemporaryVolume();
    const other = new TemporaryVolume();

    const resolved = (await resolveArgs([volume, { nested: [volume, { deeper: volume }] }, other], a)) as [
      string,
      { nested: [string, { deeper: string }] },
      string,
    ];
    expect(resolved[0]).toMatch(TEMP_CONTAINER_PATH);
    expect(resolved[1].nested[0]).toBe(resolved[0]);
    expect(resolved[1].nested[1].deeper).toBe(resolved[0]);
    expect(resolved[2]).toMatch(TEMP_CONTAINER_PATH);
    expect(resolved[2]).not.toBe(resolved[0]);

    const mountA = await volume.mount(a);
    const mountOther = await other.mount(a);
    expect(mountA).toMatchObject({ containerPath: resolved[0], mode: 'rw' });
    expect(mountOther.hostPath).not.toBe(mountA.hostPath);
    expect((await stat(mountA.hostPath)).isDirectory()).toBe(true);
    expect(a.mountList().map((m) => m.containerPath)).toEqual([resolved[0], resolved[2]]);

    // The same object in another task: another directory, another container path.
    const mountB = await volume.mount(b);
    expect(mountB.hostPath).not.toBe(mountA.hostPath);
    expect(mountB.containerPath).not.toBe(mountA.containerPath);

    await a.dispose();
    await expect(stat(mountA.hostPath)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(mountB.hostPath)).isDirectory()).toBe(true);
  });

  it('a TemporaryVolume with a host dir creates it with its mode and makes its directory there', async () => {
    const ctx = await contexts.make();
    const hostDir = path.join(await contexts.root(), 'made', 'here');
    const mount = await new TemporaryVolume(hostDir, 0o750).mount(ctx);
    expect(path.dirname(mount.hostPath)).toBe(hostDir);
    expect((await stat(hostDir)).mode & 0o7777).toBe(0o750);
  });

  it('a BindMountVolume mounts an existing host path and refuses a missing one', async () => {
    const ctx = await contexts.make();
    const root = await contexts.root();
    const volume = new BindMountVolume(root, '/mnt/data', 'ro');
    expect(await resolveArgs([volume], ctx)).toEqual(['/mnt/data']);
    expect(ctx.mountList()).toEqual([{ hostPath: root, containerPath: '/mnt/data', mode: 'ro' }]);

    const missing = path.join(root, 'missing');
    const error = await new BindMountVolume(missing, '/mnt/missing').mount(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'hostPath', value: missing });
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain('host path does not exist');
  });

  it('a VolumePath gives its container path as an argument and its host path to hooks', async () => {
    const ctx = await contexts.make();
    const volume = new TemporaryVolume();
    const file = new VolumePath('out/./result.txt', volume);
    const [containerPath, again] = (await resolveArgs([file, file], ctx)) as [string, string];
    const mount = await volume.mount(ctx);
    expect(containerPath).toBe(`${mount.containerPath}/out/result.txt`);
    expect(again).toBe(containerPath);
    expect(await file.hostPath(ctx)).toBe(path.join(mount.hostPath, 'out', 'result.txt'));
    expect(ctx.mountList()).toEqual([mount]);

    const onDefault = new VolumePath('x.txt');
    const defaultMount = await ctx.defaultVolume();
    expect(await onDefault.resolve(ctx)).toBe(`${defaultMount.containerPath}/x.txt`);
    expect(await onDefault.hostPath(ctx)).toBe(path.join(defaultMount.hostPath, 'x.txt'));
  });

  it('a VolumePath on a bind mount mounts it', async () => {
    const ctx = await contexts.make();
    const root = await contexts.root();
    await mkdir(path.join(root, 'in'));
    await writeFile(path.join(root, 'in', 'data.csv'), 'a,b\n');
    const file = new VolumePath('in/data.csv', new BindMountVolume(root, '/data'));
    expect(await file.resolve(ctx)).toBe('/data/in/data.csv');
    expect(await file.hostPath(ctx)).toBe(path.join(root, 'in', 'data.csv'));
    expect(ctx.mountList()).toEqual([{ hostPath: root, containerPath: '/data', mode: 'rw' }]);
  });
});
