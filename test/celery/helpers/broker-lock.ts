// A lock across test processes (vitest runs test files in parallel) around the shared RabbitMQ:
// every broker test holds it shared; the test that restarts the broker holds it exclusively, so
// that no other file's connections are cut under it. Both sides write their file first, then
// look at the other side's files, so neither can miss the other.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../../helpers/docker.js';

const DIR = join(tmpdir(), 'longshore-test-broker-lock');
const USERS = join(DIR, 'users');
const RESTARTS = join(DIR, 'restarts');
let counter = 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Files in `dir` of live processes (pid is the name's first part); others are removed. */
function liveEntries(dir: string, exceptPid?: number): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const pid = Number(name.split('-')[0]);
    if (!alive(pid)) {
      rmSync(join(dir, name), { force: true });
      continue;
    }
    if (pid !== exceptPid) out.push(name);
  }
  return out;
}

function ensureDirs(): void {
  mkdirSync(USERS, { recursive: true });
  mkdirSync(RESTARTS, { recursive: true });
}

/** Waits while a broker restart is under way; returns the release function. */
export async function acquireShared(timeoutMs = 120_000): Promise<() => void> {
  ensureDirs();
  const file = join(USERS, `${process.pid}-${++counter}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    writeFileSync(file, '');
    if (liveEntries(RESTARTS, process.pid).length === 0) return () => rmSync(file, { force: true });
    rmSync(file, { force: true });
    if (Date.now() > deadline) throw new Error('timed out waiting for a broker restart in another test file');
    await sleep(200);
  }
}

/** Waits until no other test process uses the broker, and keeps new ones out until released. */
export async function acquireExclusive(timeoutMs = 300_000): Promise<() => void> {
  ensureDirs();
  const file = join(RESTARTS, `${process.pid}-${++counter}`);
  writeFileSync(file, '');
  const deadline = Date.now() + timeoutMs;
  while (liveEntries(USERS, process.pid).length > 0) {
    if (Date.now() > deadline) {
      rmSync(file, { force: true });
      throw new Error('timed out waiting for other test files to stop using the broker');
    }
    await sleep(200);
  }
  return () => rmSync(file, { force: true });
}
