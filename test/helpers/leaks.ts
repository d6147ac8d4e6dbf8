// Proves that a test leaves nothing behind. Call `useLeakChecks()` once, at the top level of a test
// file, before the first task runs: the file gets its own LONGSHORE_TMP_ROOT (vitest's 'forks' pool
// runs each file in its own process), and after each test this asserts that
//   (a) no container labelled as created by this process exists any more,
//   (b) the temp root is empty (no task directories, no FIFOs),
//   (c) optionally, the process has not gained file descriptors (small slack for sockets that
//       the HTTP agent closes lazily).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { listOwnedContainers, sleep, type ContainerSummary } from './docker.js';

export interface LeakCheckOptions {
  /** Check /proc/self/fd too (default true). */
  fds?: boolean;
  /** Descriptors a test may leave open (default 8: keep-alive sockets to the engine, say). */
  fdSlack?: number;
}

export interface LeakChecks {
  /** This file's LONGSHORE_TMP_ROOT. */
  readonly tempRoot: string;
  /** Runs the checks now (afterEach does it too). */
  assertNoLeaks(): Promise<void>;
}

/** How long a container may stay listed while the engine finishes removing it. */
const REMOVAL_GRACE_MS = 5000;
const FD_GRACE_MS = 3000;

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Entries of `dir`, recursively, as paths relative to it. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      out.push(entry.isFIFO() ? `${rel} (fifo)` : rel);
      if (entry.isDirectory()) walk(rel);
    }
  };
  walk('');
  return out;
}

/** Containers of this process still there, waiting a little for removals in progress. */
export async function leftoverContainers(): Promise<ContainerSummary[]> {
  const deadline = Date.now() + REMOVAL_GRACE_MS;
  for (;;) {
    const owned = await listOwnedContainers();
    if (owned.length === 0 || Date.now() > deadline) return owned;
    await sleep(100);
  }
}

export function useLeakChecks(options: LeakCheckOptions = {}): LeakChecks {
  const checkFds = options.fds ?? true;
  const fdSlack = options.fdSlack ?? 8;
  const tempRoot = mkdtempSync(join(tmpdir(), 'longshore-test-root-'));
  process.env.LONGSHORE_TMP_ROOT = tempRoot;
  let fdBaseline = 0;

  const assertNoLeaks = async (): Promise<void> => {
    const containers = await leftoverContainers();
    expect(
      containers.map((c) => `${c.id.slice(0, 12)} ${c.names.join(',')} (${c.state})`),
      'containers created by this process are still there',
    ).toEqual([]);
    expect(listTree(tempRoot), `the temp root ${tempRoot} is not empty`).toEqual([]);
    if (checkFds && fdBaseline > 0) {
      const deadline = Date.now() + FD_GRACE_MS;
      let count = openFdCount();
      while (count > fdBaseline + fdSlack && Date.now() < deadline) {
        await sleep(100);
        count = openFdCount();
      }
      expect(count, `open descriptors grew from ${fdBaseline}`).toBeLessThanOrEqual(fdBaseline + fdSlack);
    }
  };

  beforeEach(() => {
    // The same variable for every test, even if a test changed it.
    process.env.LONGSHORE_TMP_ROOT = tempRoot;
    fdBaseline = openFdCount();
  });
  afterEach(async () => {
    await assertNoLeaks();
  });
  afterAll(() => {
    rmSync(tempRoot, { recursive: true, force: true });
  });

  return { tempRoot, assertNoLeaks };
}

/**
 * Waits (descriptors close asynchronously after 'close') until this process holds no more than
 * `before`: fewer is fine, keep-alive sockets of earlier tests close on their own schedule.
 */
export async function expectFdsBackTo(before: number): Promise<void> {
  for (let i = 0; i < 300 && openFdCount() > before; i++) await sleep(10);
  expect(openFdCount()).toBeLessThanOrEqual(before);
}

/** Live child processes of this process (zombies excluded), by command name. */
export function liveChildren(): string[] {
  return liveChildProcesses().map((child) => child.comm);
}

/**
 * The perl scripts live children of this process run (`splice.pl`, `feeder.pl`): which perl
 * child is up, the short-lived pipe grower's or the one a test waits for.
 */
export function liveChildScripts(): string[] {
  return liveChildProcesses()
    .filter((child) => child.comm === 'perl')
    .map((child) => /[^/]*\.pl$/.exec(child.args[1] ?? '')?.[0] ?? '');
}

/** The live children of this process (zombies excluded): their command names and argv. */
export function liveChildProcesses(): { comm: string; args: string[] }[] {
  const children: { comm: string; args: string[] }[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [, comm = '', rest = ''] = /\((.*)\) (.*)/.exec(stat) ?? [];
      const [state, ppid] = rest.split(' ');
      if (Number(ppid) !== process.pid || state === 'Z') continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      children.push({ comm, args });
    } catch {
      // gone meanwhile
    }
  }
  return children;
}
