// Leftovers of a crashed process (its containers and temp directories) are removed by the reaper.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultEngine } from '../../src/docker/default-engine.js';
import { reapLeftovers } from '../../src/docker/reaper.js';
import { dockerRun } from '../../src/index.js';
import {
  BUSYBOX,
  containerExists,
  listOwnedContainers,
  listTaskContainers,
  removeContainerQuietly,
  waitForRunningTaskContainer,
} from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';

useLeakChecks();

const CHILD = fileURLToPath(new URL('../helpers/crash-child.ts', import.meta.url));
const KEEP_CHILD = fileURLToPath(new URL('../helpers/keep-child.ts', import.meta.url));

interface ChildReport {
  pid: number;
  taskId: string;
  containerId: string;
}

/** Starts the crash child with its own temp root and waits for its report. */
async function startChild(tempRoot: string): Promise<{ child: ChildProcess; report: ChildReport }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, LONGSHORE_TMP_ROOT: tempRoot },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`the child exited early (${String(code ?? signal)})`);
  });
  const first = once(lines, 'line').then(([line]) => JSON.parse(line as string) as ChildReport);
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('the child did not report in time')), 60_000).unref(),
  );
  try {
    const report = await Promise.race([first, exited, timeout]);
    return { child, report };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

describe('reapLeftovers', () => {
  it("removes a SIGKILLed process's container and temp directory", async () => {
    const childRoot = await mkdtemp(join(tmpdir(), 'longshore-test-child-root-'));
    let taskId: string | undefined;
    try {
      const { child, report } = await startChild(childRoot);
      taskId = report.taskId;
      expect(report.pid).toBe(child.pid);

      const died = once(child, 'exit');
      process.kill(report.pid, 'SIGKILL');
      const [, signal] = (await died) as [number | null, NodeJS.Signals | null];
      expect(signal).toBe('SIGKILL');

      // What the crash left behind.
      const [leftover] = await listTaskContainers(report.taskId);
      expect(leftover?.id).toBe(report.containerId);
      expect(leftover?.state).toBe('running');
      const dirs = await readdir(childRoot);
      expect(dirs).toHaveLength(1);
      expect(dirs[0]).toMatch(new RegExp(`^longshore-${report.pid}-`));

      const result = await reapLeftovers(defaultEngine(), childRoot);
      expect(result.errors).toEqual([]);
      expect(result.containers).toContain(report.containerId);
      expect(result.tempDirs).toEqual([join(childRoot, dirs[0]!)]);
      expect(await containerExists(report.containerId)).toBe(false);
      expect(await readdir(childRoot)).toEqual([]);
    } finally {
      if (taskId) for (const c of await listTaskContainers(taskId)) await removeContainerQuietly(c.id);
      await rm(childRoot, { recursive: true, force: true });
    }
  });

  it('never removes a container its caller asked to keep, after its owner exited', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', KEEP_CHILD], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const { containerId } = JSON.parse(output) as { containerId: string };
    try {
      const result = await reapLeftovers(defaultEngine(), process.env.LONGSHORE_TMP_ROOT);
      expect(result.containers).not.toContain(containerId);
      expect(await containerExists(containerId)).toBe(true);
    } finally {
      await removeContainerQuietly(containerId);
    }
  });

  it("never touches a live process's container or temp directory", async () => {
    const handle = dockerRun.delay(BUSYBOX, { containerArgs: ['sleep', '30'], stopTimeout: 0 });
    try {
      const id = await waitForRunningTaskContainer(handle.id);
      const root = process.env.LONGSHORE_TMP_ROOT!;
      const before = await readdir(root);
      expect(before).toHaveLength(1);
      const result = await reapLeftovers(defaultEngine(), root);
      expect(result.containers).not.toContain(id);
      expect(await containerExists(id)).toBe(true);
      expect(await readdir(root)).toEqual(before);
      expect((await listOwnedContainers()).map((c) => c.id)).toContain(id);
    } finally {
      handle.cancel();
      await handle.get().catch(() => undefined);
    }
  });
});
