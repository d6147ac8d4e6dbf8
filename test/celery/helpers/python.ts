// Real Python Celery (Debian's python3-celery in /usr/bin/python3) for the interoperability
// tests: one-shot client scripts, and Celery workers run as child processes that each test stops.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach } from 'vitest';
import { BROKER } from './broker.js';

export const PYTHON = '/usr/bin/python3';
/** Helper A's attribute-compatible Girder Worker stand-ins (girder_worker.docker.transforms...). */
export const GIRDER_WORKER_STUBS = fileURLToPath(new URL('../fixtures/python/', import.meta.url));

export interface PythonRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** A script left running while the test does something else (an event receiver, say). */
export interface PythonScript {
  readonly child: ChildProcess;
  /** Resolves once its stdout matches `pattern` (rejects if it exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for it to exit (0 expected) and parses its last stdout line as JSON. */
  result<T>(): Promise<T>;
}

export interface PythonFixture {
  /** Runs a script; its last stdout line is parsed as JSON. */
  run<T>(script: string, options?: { timeoutMs?: number; stubs?: boolean }): Promise<T>;
  /** Starts a script and returns at once; it is killed after the test if still running. */
  start(script: string, options?: { timeoutMs?: number }): PythonScript;
  /** Starts `celery worker` for the module source `module` on `queue`, ready when this resolves. */
  startWorker(
    module: string,
    queue: string,
    hostname: string,
    options?: { stubs?: boolean },
  ): Promise<ChildProcess>;
}

/** The preamble of every script: a Celery app on the test broker with the rpc:// backend. */
export function celeryApp(name = 'proj'): string {
  return [
    'import json, sys',
    'from celery import Celery',
    `app = Celery(${JSON.stringify(name)}, broker=${JSON.stringify(BROKER)}, backend='rpc://')`,
    'app.conf.broker_connection_retry_on_startup = True',
    '',
  ].join('\n');
}

export function usePython(): PythonFixture {
  const dir = mkdtempSync(join(tmpdir(), 'longshore-test-python-'));
  let children: ChildProcess[] = [];
  let n = 0;

  afterEach(async () => {
    await Promise.all(children.map((child) => stop(child)));
    children = [];
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const env = (stubs: boolean): NodeJS.ProcessEnv => ({
    ...process.env,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    ...(stubs ? { PYTHONPATH: `${GIRDER_WORKER_STUBS}:${dir}` } : { PYTHONPATH: dir }),
  });

  return {
    async run<T>(script: string, options: { timeoutMs?: number; stubs?: boolean } = {}): Promise<T> {
      const file = join(dir, `script_${++n}.py`);
      writeFileSync(file, script);
      const child = spawn(PYTHON, ['-B', file], { env: env(options.stubs ?? false), cwd: dir });
      children.push(child);
      const result = await collect(child, options.timeoutMs ?? 60_000);
      if (result.code !== 0) {
        throw new Error(`python script failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
      }
      const last = result.stdout.trim().split('\n').pop() ?? '';
      return JSON.parse(last) as T;
    },

    start(script: string, options: { timeoutMs?: number } = {}): PythonScript {
      const file = join(dir, `script_${++n}.py`);
      writeFileSync(file, script);
      const child = spawn(PYTHON, ['-B', file], { env: env(false), cwd: dir });
      children.push(child);
      let stdout = '';
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      const finished = collect(child, options.timeoutMs ?? 120_000);
      return {
        child,
        waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
          return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
              clearInterval(poll);
              reject(new Error(`python script: no ${pattern} within ${timeoutMs} ms:\n${stdout}`));
            }, timeoutMs);
            const poll = setInterval(() => {
              if (pattern.test(stdout)) {
                clearInterval(poll);
                clearTimeout(timer);
                resolve();
              }
            }, 20);
            void finished.then((run) => {
              if (pattern.test(stdout)) return;
              clearInterval(poll);
              clearTimeout(timer);
              reject(
                new Error(`python script exited (${run.code}) before ${pattern}:\n${run.stderr}\n${stdout}`),
              );
            });
          });
        },
        async result<T>(): Promise<T> {
          const run = await finished;
          if (run.code !== 0) {
            throw new Error(`python script failed (${run.code}):\n${run.stderr}\n${run.stdout}`);
          }
          const last = run.stdout.trim().split('\n').pop() ?? '';
          return JSON.parse(last) as T;
        },
      };
    },

    async startWorker(
      module: string,
      queue: string,
      hostname: string,
      options: { stubs?: boolean } = {},
    ): Promise<ChildProcess> {
      const name = `pyworker_${++n}`;
      writeFileSync(join(dir, `${name}.py`), module);
      const child = spawn(
        PYTHON,
        [
          '-B',
          '-m',
          'celery',
          '-A',
          name,
          'worker',
          '-Q',
          queue,
          '-n',
          hostname,
          '-c',
          '1',
          '-P',
          'solo',
          '--without-gossip',
          '--without-mingle',
          '--without-heartbeat',
          '-l',
          'INFO',
        ],
        { env: env(options.stubs ?? false), cwd: dir },
      );
      children.push(child);
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`celery worker not ready:\n${output}`)), 60_000);
        const onData = (chunk: Buffer): void => {
          output += chunk.toString();
          if (/\bready\./.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout?.on('data', onData);
        child.stderr?.on('data', onData);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`celery worker exited (${code}):\n${output}`));
        });
      });
      return child;
    },
  };
}

function collect(child: ChildProcess, timeoutMs: number): Promise<PythonRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

/** SIGTERM (Celery's warm shutdown), SIGKILL after 10 s. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
