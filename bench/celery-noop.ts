/**
 * No-container tasks: a registered no-op task (`bench.noop`) through RabbitMQ, sent by
 * longshore's client to a `longshore worker` process, result back through rpc://. Tasks per
 * second one at a time (each result awaited before the next is sent) and pipelined (all sent at
 * once), for the worker's defaults and a wider prefetch window, with task events on (the
 * default) and off. For context, the same client against Python Celery 5 workers serving the
 * same no-op task (set LONGSHORE_BENCH_PYTHON=0 to skip them).
 *
 *   npx tsx bench/celery-noop.ts
 *   (LONGSHORE_BENCH_NOOP_SEQUENTIAL: tasks one at a time, default 300;
 *    LONGSHORE_BENCH_NOOP_PIPELINED: tasks at once, default 3000)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BENCH_TASKS, BROKER, BenchWorker, benchQueue, useBrokerClient } from './celery-common.js';
import { noop } from './celery-tasks.js';
import { RUN_ID, fmt, heading, main, noiseCheck, onCleanup, printTable, report } from './lib.js';

const PYTHON = '/usr/bin/python3';

interface Setup {
  name: string;
  start(queue: string): Promise<{ stop(): Promise<void> }>;
}

main(async () => {
  const sequential = Number(process.env.LONGSHORE_BENCH_NOOP_SEQUENTIAL ?? 300);
  const pipelined = Number(process.env.LONGSHORE_BENCH_NOOP_PIPELINED ?? 3000);
  heading(`celery-noop: ${sequential} tasks one at a time, ${pipelined} at once`);
  await noiseCheck();
  useBrokerClient();

  const longshore = (name: string, extra: string[]): Setup => ({
    name,
    start: (queue) =>
      BenchWorker.start([
        '--queues',
        queue,
        '--tasks',
        BENCH_TASKS,
        '--hostname',
        `bench-noop-${queue.split('.')[1]}-${RUN_ID}@bench`,
        ...extra,
      ]),
  });
  const setups: Setup[] = [
    longshore('longshore worker (defaults: -c 2, prefetch 2, task events on)', []),
    longshore('longshore worker --without-task-events', ['--without-task-events']),
    longshore('longshore worker -c 8 --prefetch-multiplier 4', [
      '--concurrency',
      '8',
      '--prefetch-multiplier',
      '4',
    ]),
    longshore('longshore worker -c 8 --prefetch-multiplier 4 --without-task-events', [
      '--concurrency',
      '8',
      '--prefetch-multiplier',
      '4',
      '--without-task-events',
    ]),
  ];
  if (process.env.LONGSHORE_BENCH_PYTHON !== '0' && existsSync(PYTHON)) {
    setups.push(pythonSetup('python celery worker (prefork, -c 2: defaults)', ['-c', '2']));
    setups.push(pythonSetup('python celery worker (-P solo)', ['-P', 'solo']));
  }

  const rows: string[][] = [];
  const figures: { name: string; seq: number; pipe: number }[] = [];
  for (const [index, setup] of setups.entries()) {
    const queue = benchQueue(`noop${index}`);
    const worker = await setup.start(queue);
    // Warm-up: connections, the first deliveries, JIT.
    await Promise.all(
      Array.from({ length: 200 }, () => noop.applyAsync([], {}, { queue }).get({ timeout: 60_000 })),
    );
    const t0 = performance.now();
    for (let i = 0; i < sequential; i++) await noop.applyAsync([], {}, { queue }).get({ timeout: 60_000 });
    const seq = sequential / ((performance.now() - t0) / 1000);
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: pipelined }, () => noop.applyAsync([], {}, { queue }).get({ timeout: 120_000 })),
    );
    const pipe = pipelined / ((performance.now() - t1) / 1000);
    await worker.stop();
    figures.push({ name: setup.name, seq, pipe });
    rows.push([setup.name, fmt(seq, 0), fmt(1000 / seq, 2), fmt(pipe, 0)]);
    console.log(`${setup.name}: ${fmt(seq, 0)} tasks/s one at a time, ${fmt(pipe, 0)} tasks/s pipelined`);
  }
  console.log();
  printTable(['worker', 'one at a time (tasks/s)', 'round trip (ms)', 'pipelined (tasks/s)'], rows);

  const defaults = figures[0]!;
  const best = figures
    .filter((f) => f.name.startsWith('longshore'))
    .reduce((a, b) => (b.pipe > a.pipe ? b : a));
  report([
    {
      benchmark: 'celery-noop',
      metric: 'no-op task through RabbitMQ, one at a time',
      longshore: `${fmt(defaults.seq, 0)} tasks/s (${fmt(1000 / defaults.seq, 1)} ms each)`,
      baseline: '-',
      ratio: '-',
      target: '(info)',
      verdict: '-',
    },
    {
      benchmark: 'celery-noop',
      metric: 'no-op task through RabbitMQ, pipelined',
      longshore: `${fmt(defaults.pipe, 0)} tasks/s (defaults); ${fmt(best.pipe, 0)} (${best.name.replace('longshore worker ', '')})`,
      baseline: '-',
      ratio: '-',
      target: '(info)',
      verdict: '-',
    },
  ]);
});

/** A Python Celery worker serving `bench.noop` on the queue (info only). */
function pythonSetup(name: string, extra: string[]): Setup {
  return {
    name,
    async start(queue) {
      const dir = await mkdtemp(join(tmpdir(), 'longshore-bench-python-'));
      onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
      await writeFile(
        join(dir, 'benchnoop.py'),
        [
          'from celery import Celery',
          `app = Celery('benchnoop', broker=${JSON.stringify(BROKER)}, backend='rpc://')`,
          "@app.task(name='bench.noop')",
          'def noop():',
          '    return None',
          '',
        ].join('\n'),
      );
      const child = spawn(
        PYTHON,
        [
          '-m',
          'celery',
          '-A',
          'benchnoop',
          'worker',
          '-Q',
          queue,
          '-n',
          `bench-py-${RUN_ID}@bench`,
          '--without-gossip',
          '--without-mingle',
          '-l',
          'INFO',
          ...extra,
        ],
        { cwd: dir, env: { ...process.env, PYTHONPATH: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const stop = (): Promise<void> => stopChild(child);
      onCleanup(`stop python worker ${child.pid}`, stop);
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer): void => {
          if (output.length < 20_000) output += chunk.toString();
          if (/\bready\./.test(output)) resolve();
        };
        child.stdout?.on('data', onData);
        child.stderr?.on('data', onData);
        child.once('exit', (code) => reject(new Error(`the python worker exited (${code}):\n${output}`)));
      });
      return { stop };
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
