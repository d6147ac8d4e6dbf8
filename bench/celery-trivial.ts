/**
 * One trivial task end to end through RabbitMQ: `dockerRun.applyAsync(['longshore/busybox'],
 * { entrypoint: ['true'] })` sent by longshore's client to a running `longshore worker` process
 * (concurrency 1), result back through rpc://, against `docker run --rm longshore/busybox true`.
 * The two alternate, one run each per round, after warm-up rounds; the ratio is of medians.
 * (Python Girder Worker, for comparison, was measured at 1.24× docker run.)
 *
 *   npx tsx bench/celery-trivial.ts   (LONGSHORE_BENCH_TRIVIAL_RUNS changes the 15 rounds)
 */
import { performance } from 'node:perf_hooks';
import { dockerRun } from '../src/index.js';
import { BenchWorker, benchQueue, useBrokerClient } from './celery-common.js';
import {
  BENCH_LABEL,
  BUSYBOX,
  DOCKER_CLI,
  RUN_ID,
  atMost,
  benchLabels,
  fmt,
  heading,
  main,
  median,
  noiseCheck,
  percentile,
  printTable,
  report,
  run,
} from './lib.js';

const TARGET = 1.05;
const WARMUP = 2;

main(async () => {
  const rounds = Number(process.env.LONGSHORE_BENCH_TRIVIAL_RUNS ?? 15);
  if (!Number.isInteger(rounds) || rounds <= 0)
    throw new Error('LONGSHORE_BENCH_TRIVIAL_RUNS: a positive integer');
  heading(`celery-trivial: ${rounds} alternating rounds after ${WARMUP} warm-up rounds`);
  await noiseCheck();

  useBrokerClient();
  const queue = benchQueue('trivial');
  await BenchWorker.start([
    '--queues',
    queue,
    '--concurrency',
    '1',
    '--hostname',
    `bench-trivial-${RUN_ID}@bench`,
  ]);

  const longshore = async (): Promise<void> => {
    const result = await dockerRun
      .applyAsync([BUSYBOX], { entrypoint: ['true'], labels: benchLabels }, { queue })
      .get({ timeout: 60_000 });
    if (result.exitCode !== 0) throw new Error(`longshore: exit code ${result.exitCode}`);
  };
  const cli = async (): Promise<void> => {
    await run(DOCKER_CLI, ['run', '--rm', '--label', `${BENCH_LABEL}=${RUN_ID}`, BUSYBOX, 'true']);
  };
  const contenders = [
    { name: 'longshore worker via RabbitMQ', run: longshore },
    { name: 'raw: docker run --rm (CLI)', run: cli },
  ];
  const times = contenders.map(() => [] as number[]);
  for (let round = 0; round < WARMUP + rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (round + k) % contenders.length;
      const t0 = performance.now();
      await contenders[i]!.run();
      if (round >= WARMUP) times[i]!.push(performance.now() - t0);
    }
  }

  const [ls, raw] = [times[0]!, times[1]!];
  const ratio = median(ls) / median(raw);
  console.log();
  printTable(
    ['', 'median (ms)', 'p90 (ms)', 'min (ms)', 'longshore / this', 'target', ''],
    contenders.map((c, i) => [
      c.name,
      fmt(median(times[i]!)),
      fmt(percentile(times[i]!, 90)),
      fmt(Math.min(...times[i]!)),
      i === 0 ? '' : `${fmt(ratio, 2)}x`,
      i === 1 ? `<= ${TARGET}x` : '',
      i === 1 ? atMost(ratio, TARGET) : '',
    ]),
  );
  report([
    {
      benchmark: 'celery-trivial',
      metric: 'one task through RabbitMQ, median (p90)',
      longshore: `${fmt(median(ls), 0)} ms (${fmt(percentile(ls, 90), 0)})`,
      baseline: `${fmt(median(raw), 0)} ms (${fmt(percentile(raw, 90), 0)}) docker run`,
      ratio: `${fmt(ratio, 2)}x`,
      target: `<= ${TARGET}x`,
      verdict: atMost(ratio, TARGET),
    },
  ]);
});
