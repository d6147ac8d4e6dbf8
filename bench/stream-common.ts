/**
 * The driver shared by `stream-in` and `stream-out`: warm up, measure the fixed cost of a task (the
 * same container moving 0 bytes), then the big stream, raw and longshore alternating, with this
 * process's RSS sampled every 50 ms during the longshore runs.
 *
 * Both sides are timed the same way: the wall time of the whole thing, container start included
 * (for the raw side, from spawning `docker run` and the host `cat` until both have exited; for
 * longshore, from `dockerRun.delay()` until `get()` resolves, cleanup included).
 */
import {
  RssSampler,
  atLeast,
  atMost,
  fmt,
  heading,
  idleRss,
  mb,
  median,
  noiseCheck,
  printTable,
  report,
  type SummaryRow,
} from './lib.js';

export interface StreamBenchmark {
  name: string;
  /** What each side does, for the printout. */
  describe: { raw: string; longshore: string };
  bytes: number;
  runs: number;
  /**
   * One raw run moving `bytes` (0 for the fixed-cost runs): its wall time and the CPU time of the
   * host-side process (`cat`), in ms.
   */
  raw(bytes: number): Promise<Run>;
  /**
   * One longshore run moving `bytes`: its wall time and the CPU time of this whole process and of
   * the children it ran meanwhile, in ms.
   */
  longshore(bytes: number): Promise<Run>;
}

export interface Run {
  ms: number;
  cpuMs: number;
}

export const THROUGHPUT_TARGET = 0.8;
export const MEMORY_TARGET_BYTES = 100e6;

export async function runStreamBenchmark(b: StreamBenchmark): Promise<void> {
  heading(`${b.name}: ${fmt(b.bytes / 2 ** 20, 0)} MiB, ${b.runs} runs each, median`);
  console.log(`raw:       ${b.describe.raw}`);
  console.log(`longshore: ${b.describe.longshore}`);
  console.log('timing:    wall time of the whole run on both sides, container start included');
  await noiseCheck();

  // Warm-up: the image, the engine, this process's modules, longshore's one-time leftover sweep.
  await b.raw(0);
  await b.longshore(0);

  const fixed = { raw: [] as number[], longshore: [] as number[] };
  for (let i = 0; i < b.runs; i++) {
    if (i % 2 === 0) {
      fixed.raw.push((await b.raw(0)).ms);
      fixed.longshore.push((await b.longshore(0)).ms);
    } else {
      fixed.longshore.push((await b.longshore(0)).ms);
      fixed.raw.push((await b.raw(0)).ms);
    }
  }

  const idle = await idleRss();
  const sampler = new RssSampler();
  const big = { raw: [] as number[], longshore: [] as number[] };
  const cpu = { raw: [] as number[], longshore: [] as number[] };
  const rawRun = async (): Promise<void> => {
    const r = await b.raw(b.bytes);
    big.raw.push(r.ms);
    cpu.raw.push(r.cpuMs);
  };
  const longshoreRun = async (): Promise<void> => {
    sampler.start(50);
    try {
      const r = await b.longshore(b.bytes);
      big.longshore.push(r.ms);
      cpu.longshore.push(r.cpuMs);
    } finally {
      sampler.stop();
    }
  };
  for (let i = 0; i < b.runs; i++) {
    if (i % 2 === 0) {
      await rawRun();
      await longshoreRun();
    } else {
      await longshoreRun();
      await rawRun();
    }
  }
  const peak = sampler.stop();

  const wall = { raw: median(big.raw), longshore: median(big.longshore) };
  const start = { raw: median(fixed.raw), longshore: median(fixed.longshore) };
  // A run shorter than the fixed cost (noise) has no meaningful net rate.
  const rate = (ms: number): number => (ms > 0 ? b.bytes / 1e6 / (ms / 1000) : NaN);
  const wallRatio = rate(wall.longshore) / rate(wall.raw);
  const net = { raw: rate(wall.raw - start.raw), longshore: rate(wall.longshore - start.longshore) };
  const netRatio = net.longshore / net.raw;
  const above = peak - idle;
  const cpuMedian = { raw: median(cpu.raw), longshore: median(cpu.longshore) };

  console.log();
  printTable(
    ['', 'raw', 'longshore', 'ratio', 'target', ''],
    [
      ['runs, wall time (s)', list(big.raw), list(big.longshore), '', '', ''],
      ['median wall time (s)', fmt(wall.raw / 1000, 3), fmt(wall.longshore / 1000, 3), '', '', ''],
      [
        'throughput, wall (MB/s)',
        fmt(rate(wall.raw), 0),
        fmt(rate(wall.longshore), 0),
        `${fmt(wallRatio, 2)}x`,
        `>= ${THROUGHPUT_TARGET}x`,
        atLeast(wallRatio, THROUGHPUT_TARGET),
      ],
      ['0-byte run, wall (s)', fmt(start.raw / 1000, 3), fmt(start.longshore / 1000, 3), '', '', ''],
      [
        'throughput, net of 0-byte run (MB/s)',
        fmt(net.raw, 0),
        fmt(net.longshore, 0),
        `${fmt(netRatio, 2)}x`,
        '(info)',
        '',
      ],
      [
        'host CPU time per run (s) *',
        fmt(cpuMedian.raw / 1000, 2),
        fmt(cpuMedian.longshore / 1000, 2),
        `${fmt(cpuMedian.longshore / cpuMedian.raw, 1)}x`,
        '(info)',
        '',
      ],
    ],
  );
  console.log('* raw: the host `cat` process; longshore: this whole process (all threads) and its');
  console.log('  children (a `cat` copying a host file, a `perl` growing a pipe). Less');
  console.log('  sensitive to a busy machine than wall time; the container itself is not counted.');
  console.log();
  printTable(
    ['memory (longshore process RSS)', 'value', 'target', ''],
    [
      ['idle RSS', mb(idle), '', ''],
      [`peak RSS (${sampler.samples} samples, 50 ms)`, mb(peak), '', ''],
      ['peak - idle', mb(above), `< ${mb(MEMORY_TARGET_BYTES)}`, atMost(above, MEMORY_TARGET_BYTES)],
    ],
  );

  const rows: SummaryRow[] = [
    {
      benchmark: b.name,
      metric: 'throughput, wall time incl. container start',
      longshore: `${fmt(rate(wall.longshore), 0)} MB/s`,
      baseline: `${fmt(rate(wall.raw), 0)} MB/s`,
      ratio: `${fmt(wallRatio, 2)}x`,
      target: `>= ${THROUGHPUT_TARGET}x`,
      verdict: atLeast(wallRatio, THROUGHPUT_TARGET),
    },
    {
      benchmark: b.name,
      metric: 'throughput, net of a 0-byte run',
      longshore: `${fmt(net.longshore, 0)} MB/s`,
      baseline: `${fmt(net.raw, 0)} MB/s`,
      ratio: `${fmt(netRatio, 2)}x`,
      target: '(info)',
      verdict: '-',
    },
    {
      benchmark: b.name,
      metric: 'host CPU time per 1 GiB run (longshore process + children vs host cat)',
      longshore: `${fmt(cpuMedian.longshore / 1000, 2)} s`,
      baseline: `${fmt(cpuMedian.raw / 1000, 2)} s`,
      ratio: `${fmt(cpuMedian.longshore / cpuMedian.raw, 1)}x`,
      target: '(info)',
      verdict: '-',
    },
    {
      benchmark: b.name,
      metric: 'RSS peak above idle',
      longshore: mb(above),
      baseline: `idle ${mb(idle)}`,
      ratio: '-',
      target: `< ${mb(MEMORY_TARGET_BYTES)}`,
      verdict: atMost(above, MEMORY_TARGET_BYTES),
    },
  ];
  report(rows);
}

function list(ms: number[]): string {
  return ms.map((t) => fmt(t / 1000, 2)).join(' ');
}

/** Size and run count; the environment may shrink them for a quick try. */
export function settings(): { bytes: number; runs: number } {
  const mib = Number(process.env.LONGSHORE_BENCH_MIB ?? 1024);
  const runs = Number(process.env.LONGSHORE_BENCH_RUNS ?? 3);
  if (!Number.isInteger(mib) || mib <= 0) throw new Error('LONGSHORE_BENCH_MIB: a positive integer');
  if (!Number.isInteger(runs) || runs <= 0) throw new Error('LONGSHORE_BENCH_RUNS: a positive integer');
  return { bytes: mib * 2 ** 20, runs };
}
