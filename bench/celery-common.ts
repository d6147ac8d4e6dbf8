/**
 * What the distributed-mode benchmarks share: the broker, a `longshore worker` process (bin/
 * longshore.js, as a user runs it) on a queue of the run's own, and the queues' removal at the
 * end, whatever happens. The client side is longshore's own (`configure({ broker })`, then
 * `applyAsync`), in the benchmark's process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AmqpConnection } from '../src/celery/amqp/connection.js';
import { closeAll, configure } from '../src/index.js';
import { RUN_ID, onCleanup } from './lib.js';

export const BROKER =
  process.env.LONGSHORE_BENCH_BROKER_URL ??
  process.env.LONGSHORE_BROKER_URL ??
  'amqp://guest:guest@127.0.0.1:5672//';
const BIN = fileURLToPath(new URL('../bin/longshore.js', import.meta.url));
/** A module registering `bench.noop`, for the no-container benchmark. */
export const BENCH_TASKS = fileURLToPath(new URL('./celery-tasks.ts', import.meta.url));

let clientReady = false;

/** Points this process's longshore client at the broker (once); closed by the cleanup. */
export function useBrokerClient(): void {
  if (clientReady) return;
  clientReady = true;
  configure({ broker: BROKER });
  onCleanup('close the Celery client', () => closeAll());
}

/** A queue name of this run; the queue and its exchange are deleted by the cleanup. */
export function benchQueue(label: string): string {
  const name = `longshore-bench.${label}.${RUN_ID}`;
  onCleanup(`delete queue ${name}`, () => deleteQueue(name));
  return name;
}

async function deleteQueue(name: string): Promise<void> {
  const connection = await AmqpConnection.open(BROKER, 'longshore bench cleanup');
  try {
    const channel = await connection.channel();
    await channel.deleteQueue(name).catch(() => undefined);
    const again = channel.closed ? await connection.channel() : channel;
    await again.deleteExchange(name).catch(() => undefined);
  } finally {
    await connection.close();
  }
}

/** A `longshore worker` child process; stopped (SIGTERM, then SIGKILL) by `stop()` or the cleanup. */
export class BenchWorker {
  readonly child: ChildProcess;
  output = '';
  readonly #exited: Promise<void>;

  private constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, 'worker', '--broker', BROKER, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Kept short: only the start-up lines matter, but the pipes must be drained.
    const keep = (chunk: Buffer): void => {
      if (this.output.length < 20_000) this.output += chunk.toString();
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.#exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    onCleanup(`stop worker ${this.child.pid}`, () => this.stop());
  }

  /** Starts a worker and waits until it is connected and consuming. */
  static async start(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<BenchWorker> {
    const worker = new BenchWorker(args, env);
    const deadline = Date.now() + 60_000;
    while (!/Connected to/.test(worker.output)) {
      if (worker.child.exitCode !== null) throw new Error(`the worker exited:\n${worker.output}`);
      if (Date.now() > deadline) throw new Error(`the worker never connected:\n${worker.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Its consumers start right after that line.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return worker;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** Runs `jobs` with at most `parallelism` at a time. */
export async function pool<T>(jobs: readonly (() => Promise<T>)[], parallelism: number): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, jobs.length) }, lane));
  return results;
}
