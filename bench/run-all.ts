/**
 * Runs every benchmark in sequence, each in its own process (so that one's memory does not
 * colour another's RSS figures), then prints a Markdown summary ready for the README's
 * performance section. Exits non-zero only if a benchmark crashed. (`bench/fifo-variants.ts` is a
 * diagnostic, run on its own.)
 *
 *   npx tsx bench/run-all.ts        (or `npm run bench`, which prepares the images first)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOCKER_CLI, run, type SummaryRow } from './lib.js';

/** A file, or a file with the environment it runs under (the same benchmark on another kind of site). */
const BENCHMARKS: (string | [string, Record<string, string>])[] = [
  'stream-in.ts',
  'stream-out.ts',
  'trivial-task.ts',
  'girder-download.ts',
  ['girder-download.ts', { LONGSHORE_BENCH_GIRDER_SITE: 'https' }],
  ['girder-download.ts', { LONGSHORE_BENCH_GIRDER_SITE: 'https-redirect' }],
  'girder-upload.ts',
  ['girder-upload.ts', { LONGSHORE_BENCH_GIRDER_SITE: 'https' }],
  'celery-trivial.ts',
  'celery-parallel.ts',
  'celery-noop.ts',
];
const here = dirname(fileURLToPath(import.meta.url));

function runBenchmark(file: string, env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, file)], { stdio: 'inherit', env });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : null)));
  });
}

async function environment(): Promise<string> {
  const server = await run(DOCKER_CLI, ['version', '--format', '{{.Server.Version}}'], {
    allowFailure: true,
  });
  const cpus = os.cpus();
  const commit = await run('git', ['rev-parse', '--short', 'HEAD'], { allowFailure: true });
  const dirty = await run('git', ['status', '--porcelain', '--', 'src'], { allowFailure: true });
  return [
    `longshore ${commit.stdout.trim() || 'unknown commit'}${dirty.stdout.trim() ? ' + uncommitted src changes' : ''}`,
    `Node ${process.version}`,
    `Docker engine ${server.stdout.trim() || 'unknown'}`,
    `Linux ${os.release()}`,
    `${cpus.length} x ${cpus[0]?.model.trim() ?? 'CPU'}`,
    `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`,
  ].join(', ');
}

async function mainAll(): Promise<number> {
  const dir = await mkdtemp(join(os.tmpdir(), 'longshore-bench-summary-'));
  const summary = join(dir, 'rows.jsonl');
  const crashed: string[] = [];
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true; // the running benchmark gets the signal too, and cleans up after itself
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const started = Date.now();
    for (const entry of BENCHMARKS) {
      if (interrupted) break;
      const [file, extra] = typeof entry === 'string' ? [entry, {}] : entry;
      const code = await runBenchmark(file, { ...process.env, ...extra, LONGSHORE_BENCH_SUMMARY: summary });
      const named = `${file}${Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : ''}`;
      if (code !== 0) crashed.push(`${named} (exit ${code})`);
    }
    let rows: SummaryRow[] = [];
    try {
      rows = (await readFile(summary, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as SummaryRow);
    } catch {
      // No benchmark got as far as its figures.
    }

    const intro = [
      `Measured with \`npm run bench\` (${((Date.now() - started) / 1000).toFixed(0)} s) on ${await environment()}.`,
      'Streams: 1 GiB, median of 3 runs; wall time of the whole task, container start included, on both sides.',
      'The raw baseline runs the same container command with the docker CLI, on a FIFO fed (or drained) by',
      'a host `cat`. "Net" divides by the time left after a 0-byte run of each side; host CPU time is the',
      'longshore process against the host `cat`. Trivial task: median (p90) of 15 alternating runs against',
      '`docker run --rm`. Wall times on a small shared machine vary a lot from one run to the next.',
    ];
    console.log(`\n## Performance\n\n${intro.join('\n')}\n`);
    console.log('| Benchmark | Metric | longshore | Baseline | Ratio | Target | Result |');
    console.log('|---|---|---:|---:|---:|---:|:---:|');
    for (const r of rows) {
      const target = r.target.replace('>=', '≥').replace('<=', '≤');
      const verdict = r.verdict === '-' ? '' : r.verdict;
      console.log(
        `| ${r.benchmark} | ${r.metric} | ${r.longshore} | ${r.baseline} | ${r.ratio} | ${target} | ${verdict} |`,
      );
    }
    if (crashed.length > 0) console.error(`\ncrashed: ${crashed.join(', ')}`);
    return crashed.length > 0 || interrupted ? 1 : 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

mainAll().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
