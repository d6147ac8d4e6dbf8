// Watching a task's events, and scratch directories for tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll } from 'vitest';
import type { LogChunk, Progress, PullProgress, TaskHandle, TaskState } from '../../src/index.js';

export interface Watched {
  readonly stdout: string;
  readonly stderr: string;
  readonly logs: LogChunk[];
  readonly statuses: TaskState[];
  readonly progress: Progress[];
  readonly pulls: PullProgress[];
  readonly warnings: string[];
}

/** Records everything a handle reports. Attach right after `delay()`, before awaiting anything. */
export function watch<R>(handle: TaskHandle<R>): Watched {
  const logs: LogChunk[] = [];
  const statuses: TaskState[] = [];
  const progress: Progress[] = [];
  const pulls: PullProgress[] = [];
  const warnings: string[] = [];
  handle.on('log', (chunk) => logs.push(chunk));
  handle.on('status', (state) => statuses.push(state));
  handle.on('progress', (p) => progress.push(p));
  handle.on('pull', (p) => pulls.push(p));
  handle.on('warning', (w) => warnings.push(w));
  const text = (stream: 'stdout' | 'stderr'): string =>
    logs
      .filter((l) => l.stream === stream)
      .map((l) => l.text)
      .join('');
  return {
    get stdout() {
      return text('stdout');
    },
    get stderr() {
      return text('stderr');
    },
    logs,
    statuses,
    progress,
    pulls,
    warnings,
  };
}

/** Resolves with what a promise rejected with; fails if it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** What `fn` threw synchronously; fails if it did not throw. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but the call returned');
}

/**
 * A directory for a test file's own host files (bind mounts, host files), outside the leak-checked
 * temp root, removed after the file. Writable by any container user.
 */
export function useScratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'longshore-test-scratch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function worldWritable(dir: string): Promise<string> {
  await chmod(dir, 0o777);
  return dir;
}

/** Sets environment variables for the duration of `fn`, then restores them. */
export async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** A Writable that keeps everything written to it. */
export class Collector extends Writable {
  readonly chunks: Buffer[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    callback();
  }

  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.buffer.toString('utf8');
  }
}
