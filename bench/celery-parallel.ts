/**
 * Twenty trivial tasks submitted at once (`dockerRun` of `longshore/busybox true`) to one
 * `longshore worker` process, against twenty `docker run --rm longshore/busybox true` with at
 * most N running at a time. Each side is tried at every parallelism in PARALLELISM (the worker's
 * --concurrency; the raw pool's size), the sides alternating batch by batch; the figure is each
 * side's best throughput (median batch of its best setting), and the ratio is longshore's best
 * over raw's best. (Python Girder Worker, for comparison, was measured at 0.62×.)
 *
 *   npx tsx bench/celery-parallel.ts
 *   (LONGSHORE_BENCH_PARALLEL_REPEATS: batches per setting and side, default 3;
 *    LONGSHORE_BENCH_PARALLELISM: settings, default 2,3,4,6,8)
 */
import { performance } from 'node:perf_hooks';
import { dockerRun } from '../src/index.js';
import { BenchWorker, benchQueue, pool, useBrokerClient } from './celery-common.js';
import {
  BENCH_LABEL,
  BUSYBOX,
  DOCKER_CLI,
  RUN_ID,
  atLeast,
  benchLabels,
  fmt,
  heading,
  main,
  median,
  noiseCheck,
  printTable,
  report,
  run,
} from './lib.js';

const TARGET = 0.9;
const TASKS = 20;

main(async () => {
  const repeats = Number(process.env.LONGSHORE_BENCH_PARALLEL_REPEATS ?? 3);
  const settings = (process.env.LONGSHORE_BENCH_PARALLELISM ?? '2,3,4,6,8').split(',').map(Number);
  if (!Number.isInteger(repeats) || repeats <= 0 || settings.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error('LONGSHORE_BENCH_PARALLEL_REPEATS / LONGSHORE_BENCH_PARALLELISM: positive integers');
  }
  heading(
    `celery-parallel: ${TASKS} tasks at once, parallelism ${settings.join('/')}, ${repeats} batches each`,
  );
  await noiseCheck();
  useBrokerClient();

  const raw = (parallelism: number): Promise<unknown> =>
    pool(
      Array.from(
        { length: TASKS },
        () => () => run(DOCKER_CLI, ['run', '--rm', '--label', `${BENCH_LABEL}=${RUN_ID}`, BUSYBOX, 'true']),
      ),
      parallelism,
    );
  const longshore = async (queue: string): Promise<void> => {
    const handles = Array.from({ length: TASKS }, () =>
      dockerRun.applyAsync([BUSYBOX], { entrypoint: ['true'], labels: benchLabels }, { queue }),
    );
    const results = await Promise.all(handles.map((h) => h.get({ timeout: 120_000 })));
    if (results.some((r) => r.exitCode !== 0)) throw new Error('longshore: a task failed');
  };
  const timed = async (body: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await body();
    return performance.now() - t0;
  };

  const rows: { parallelism: number; ls: number[]; raw: number[] }[] = [];
  for (const parallelism of settings) {
    const queue = benchQueue(`parallel${parallelism}`);
    const worker = await BenchWorker.start([
      '--queues',
      queue,
      '--concurrency',
      String(parallelism),
      '--hostname',
      `bench-parallel${parallelism}-${RUN_ID}@bench`,
    ]);
    // Warm-up: the worker's first tasks (module loading, the engine's first calls), and the CLI's.
    await longshore(queue);
    await raw(parallelism);
    const row = { parallelism, ls: [] as number[], raw: [] as number[] };
    for (let i = 0; i < repeats; i++) {
      if (i % 2 === 0) {
        row.raw.push(await timed(() => raw(parallelism)));
        row.ls.push(await timed(() => longshore(queue)));
      } else {
        row.ls.push(await timed(() => longshore(queue)));
        row.raw.push(await timed(() => raw(parallelism)));
      }
    }
    await worker.stop();
    rows.push(row);
    console.log(
      `parallelism ${parallelism}: longshore ${fmt(rate(row.ls))} tasks/s, raw ${fmt(rate(row.raw))} tasks/s`,
    );
  }

  const bestLs = rows.reduce((a, b) => (rate(b.ls) > rate(a.ls) ? b : a));
  const bestRaw = rows.reduce((a, b) => (rate(b.raw) > rate(a.raw) ? b : a));
  const ratio = rate(bestLs.ls) / rate(bestRaw.raw);
  console.log();
  printTable(
    ['parallelism', 'longshore (tasks/s)', 'raw docker run (tasks/s)', 'longshore / raw'],
    rows.map((r) => [
      String(r.parallelism),
      fmt(rate(r.ls), 2),
      fmt(rate(r.raw), 2),
      `${fmt(rate(r.ls) / rate(r.raw), 2)}x`,
    ]),
  );
  console.log(
    `\nbest: longshore ${fmt(rate(bestLs.ls), 2)} tasks/s (concurrency ${bestLs.parallelism}), ` +
      `raw ${fmt(rate(bestRaw.raw), 2)} tasks/s (${bestRaw.parallelism} at a time): ` +
      `${fmt(ratio, 2)}x (target >= ${TARGET}x): ${atLeast(ratio, TARGET)}`,
  );
  report([
    {
      benchmark: 'celery-parallel',
      metric: `${TASKS} trivial tasks at once, best throughput`,
      longshore: `${fmt(rate(bestLs.ls), 2)} tasks/s (-c ${bestLs.parallelism})`,
      baseline: `${fmt(rate(bestRaw.raw), 2)} tasks/s (${bestRaw.parallelism} docker run at a time)`,
      ratio: `${fmt(ratio, 2)}x`,
      target: `>= ${TARGET}x`,
      verdict: atLeast(ratio, TARGET),
    },
  ]);
});

/** Tasks per second of the median batch. */
function rate(batchMs: readonly number[]): number {
  return TASKS / (median(batchMs) / 1000);
}
