// `longshore worker` as a child process (bin/longshore.js, through tsx), for what only a real
// process shows: signals, a worker killed mid-task, a broker restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { BROKER } from './broker.js';

const BIN = fileURLToPath(new URL('../../../bin/longshore.js', import.meta.url));
export const TEST_TASKS = fileURLToPath(new URL('./test-tasks.ts', import.meta.url));

export class WorkerProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #listeners = new Set<() => void>();

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, 'worker', '--broker', BROKER, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (chunk: Buffer): void => {
      this.output += chunk.toString();
      for (const listener of this.#listeners) listener();
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        for (const listener of this.#listeners) listener();
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the output matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(this.output)) {
          finish();
          resolve();
        } else if (!this.running) {
          finish();
          reject(new Error(`worker exited before ${pattern}:\n${this.output}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.output}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }
}

/** Worker processes started in a test are killed after it (if still running). */
export function useWorkerProcesses(): (args: readonly string[], env?: NodeJS.ProcessEnv) => WorkerProcess {
  let started: WorkerProcess[] = [];
  afterEach(async () => {
    for (const worker of started) {
      if (worker.running) {
        worker.kill('SIGKILL');
        await worker.exited;
      }
    }
    started = [];
  });
  return (args, env) => {
    const worker = new WorkerProcess(args, env);
    started.push(worker);
    return worker;
  };
}
