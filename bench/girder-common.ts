/**
 * What the Girder benchmarks (`girder-download`, `girder-upload`) share: the Girder test server in
 * a process of its own (girder-server-process.ts), curl against it, rounds that alternate
 * longshore and raw runs, and the tables.
 *
 * The server runs apart so that this process's RSS is longshore's alone and the server's CPU is
 * not on longshore's event loop; both sides of every ratio talk to the same server, in the same
 * run. Its CPU time per run is printed too: on a 2-core machine the server, the client and the
 * container share the CPUs, and the server is often what sets the pace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { testCa } from '../test/helpers/test-ca.js';
import { GirderClient, configure } from '../src/index.js';
import {
  MiB,
  RssSampler,
  fmt,
  idleRss,
  mb,
  median,
  onCleanup,
  printTable,
  report,
  type SummaryRow,
} from './lib.js';

export const THROUGHPUT_TARGET = 0.8;
export const MEMORY_TARGET_BYTES = 100e6;
/** The Girder test server prefixes every route with this. */
export const API_PREFIX = '/api/v1/';

/** What girder-server-process.ts prints once it serves. */
export interface ServerInfo {
  apiUrl: string;
  token: string;
  folderId: string;
  itemId: string;
  /** The file of `fileBytes` pseudo-random bytes; null when none was asked for. */
  fileId: string | null;
  fileBytes: number;
  emptyFileId: string;
  /** Where the server keeps finished files, as `<filesDir>/<fileId>`. */
  filesDir: string;
  pid: number;
}

export interface GirderServer {
  info: ServerInfo;
  /** A client of this process for setup and checks (never inside a timed run). */
  client: GirderClient;
  /** The server process's CPU time so far (user + system), ms. */
  cpuMs(): number;
  /**
   * The server's own span of the requests to `path` since the last call: from the arrival of the
   * first to the end of the last answer, ms. The same clock for every client, whatever it is.
   */
  servedSpan(path: string): Promise<number>;
  /** The server process's RSS now, bytes. */
  rss(): number;
}

/** How the benchmark's Girder is reached: HTTPS with a test CA, downloads redirected to a store. */
export interface BenchSite {
  /** A test-ca.ts directory: the server serves its server.pem; longshore and curl trust caFile. */
  tlsDir?: string | undefined;
  caFile?: string | undefined;
  objectStore?: boolean | undefined;
}

/**
 * LONGSHORE_BENCH_GIRDER_SITE: plain (default), https, or https-redirect (an HTTPS Girder
 * answering 303 to an HTTPS object store, as an S3 assetstore does).
 */
export async function benchSite(): Promise<BenchSite & { name: string }> {
  const name = process.env.LONGSHORE_BENCH_GIRDER_SITE ?? 'plain';
  if (name === 'plain') return { name };
  if (name !== 'https' && name !== 'https-redirect') {
    throw new Error('LONGSHORE_BENCH_GIRDER_SITE: plain, https or https-redirect');
  }
  const ca = await testCa();
  return { name, tlsDir: ca.dir, caFile: ca.caFile, objectStore: name === 'https-redirect' };
}

const SERVER_SCRIPT = fileURLToPath(new URL('./girder-server-process.ts', import.meta.url));

/**
 * Starts the server process (seeding a file of `fileBytes` when asked) and points longshore at it
 * (`configure({ girder })`). The cleanup closes it, which deletes its files; if this process dies
 * first, the server sees its stdin close and closes too.
 */
export async function startGirderServer(fileBytes = 0, site: BenchSite = {}): Promise<GirderServer> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', SERVER_SCRIPT, ...(fileBytes > 0 ? ['--file-bytes', String(fileBytes)] : [])],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {
        ...process.env,
        ...(site.tlsDir ? { LONGSHORE_BENCH_TLS_DIR: site.tlsDir } : {}),
        ...(site.objectStore ? { LONGSHORE_BENCH_OBJECT_STORE: '1' } : {}),
      },
    },
  );
  onCleanup('stop the Girder test server', () => stopServer(child));
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the Girder test server did not start in 180 s')),
      180_000,
    );
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as ServerInfo);
      } catch (error) {
        reject(new Error(`the Girder test server printed ${line}`, { cause: error }));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the Girder test server exited ${code ?? signal} before it served`));
    });
  });
  configure({ girder: { apiUrl: info.apiUrl, token: info.token, ca: site.caFile } });
  const answers = new Map<number, (requests: { at: number; finishedAt: number | null }[]) => void>();
  lines.on('line', (line) => {
    const { id, requests } = JSON.parse(line) as {
      id: number;
      requests: { at: number; finishedAt: number | null }[];
    };
    answers.get(id)?.(requests);
    answers.delete(id);
  });
  let questions = 0;
  const stat = (): string[] => readFileSync(`/proc/${info.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return {
    info,
    client: new GirderClient({ apiUrl: info.apiUrl, token: info.token, ca: site.caFile }),
    // utime and stime, fields 14 and 15 of proc(5), counted from the state (field 3), in 1/100 s.
    cpuMs: () => {
      const fields = stat();
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    rss: () => Number(stat()[21]) * 4096,
    servedSpan: async (path) => {
      const id = ++questions;
      const requests = await new Promise<{ at: number; finishedAt: number | null }[]>((resolve) => {
        answers.set(id, resolve);
        child.stdin.write(`${JSON.stringify({ id, path })}\n`);
      });
      if (requests.length === 0 || requests.some((r) => r.finishedAt === null)) return NaN;
      return Math.max(...requests.map((r) => r.finishedAt!)) - Math.min(...requests.map((r) => r.at));
    },
  };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** Size and rounds; the environment may shrink them for a quick try. */
export function settings(): { bytes: number; rounds: number } {
  const mib = Number(process.env.LONGSHORE_BENCH_MIB ?? 1024);
  const rounds = Number(process.env.LONGSHORE_BENCH_RUNS ?? 5);
  if (!Number.isInteger(mib) || mib <= 0) throw new Error('LONGSHORE_BENCH_MIB: a positive integer');
  if (!Number.isInteger(rounds) || rounds <= 0) throw new Error('LONGSHORE_BENCH_RUNS: a positive integer');
  return { bytes: mib * MiB, rounds };
}

/** One timed run. */
export interface Sample {
  /** Wall time of the whole run. */
  ms: number;
  /** The transfer alone: the server's span of the run's transfer requests (see servedSpan). */
  transferMs: number;
  /** CPU time on the client side: this process and its children, or the raw commands. */
  cpuMs: number;
}

export interface Variant {
  key: string;
  /** What runs, for the printout. */
  label: string;
  side: 'longshore' | 'raw';
  /** One timed run; `round` names what it makes. */
  run(round: number): Promise<Sample>;
  /** After each run, untimed: check what it did and remove what it left on the server. */
  after?(round: number): Promise<void>;
}

export interface VariantResult {
  variant: Variant;
  samples: Sample[];
  serverCpuMs: number[];
  /** longshore only: this process's RSS peak, sampled every 50 ms during its runs. */
  peakRss: number;
  /** longshore only: the kernel's exact peak (VmHWM, reset before each run), when it can be reset. */
  peakHwm: number;
}

export interface RoundsResult {
  idleRss: number;
  results: Map<string, VariantResult>;
}

/**
 * `rounds` rounds of every variant, the order rotating from one round to the next so that no side
 * always runs first (or right after another's disk writes). This process's RSS is sampled during
 * the longshore runs only.
 */
export async function runRounds(
  allVariants: Variant[],
  rounds: number,
  server: GirderServer,
): Promise<RoundsResult> {
  // LONGSHORE_BENCH_ONLY=key,key runs only those variants (a diagnosis; the comparisons need all).
  const only = process.env.LONGSHORE_BENCH_ONLY?.split(',');
  const variants = only ? allVariants.filter((v) => only.includes(v.key)) : allVariants;
  const idle = await idleRss();
  const results = new Map<string, VariantResult>(
    variants.map((variant) => [
      variant.key,
      { variant, samples: [], serverCpuMs: [], peakRss: 0, peakHwm: 0 },
    ]),
  );
  for (let round = 0; round < rounds; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    const line: string[] = [];
    for (const variant of order) {
      const result = results.get(variant.key)!;
      const sampler = new RssSampler();
      const hwm = variant.side === 'longshore' && resetPeakRss();
      if (variant.side === 'longshore') sampler.start(50);
      const cpu0 = server.cpuMs();
      const own0 = process.cpuUsage();
      const children0 = childrenCpuMs();
      let sample: Sample;
      try {
        sample = await variant.run(round);
      } finally {
        if (variant.side === 'longshore') {
          result.peakRss = Math.max(result.peakRss, sampler.stop());
          if (hwm) result.peakHwm = Math.max(result.peakHwm, peakRss());
        }
      }
      const own = process.cpuUsage(own0);
      const split = `this process ${fmt((own.user + own.system) / 1e6, 2)} s (system ${fmt(own.system / 1e6, 2)} s), children ${fmt((childrenCpuMs() - children0) / 1000, 2)} s`;
      result.serverCpuMs.push(server.cpuMs() - cpu0);
      result.samples.push(sample);
      await variant.after?.(round);
      line.push(
        `${variant.key} ${fmt(sample.ms / 1000, 2)} s (CPU ${fmt(sample.cpuMs / 1000, 2)} s: ${split})`,
      );
    }
    console.log(`round ${round + 1}/${rounds}: ${line.join(', ')}`);
  }
  return { idleRss: idle, results };
}

/** CPU time of this process's waited-for children (cutime + cstime of /proc/self/stat), ms. */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** Resets VmHWM to the current RSS (proc(5), clear_refs "5"); false where that is not allowed. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** MB/s of `bytes` in `ms`. */
export function rate(bytes: number, ms: number): number {
  return ms > 0 ? bytes / 1e6 / (ms / 1000) : NaN;
}

export interface Medians {
  ms: number;
  transferMs: number;
  cpuMs: number;
  serverCpuMs: number;
}

export function medians(result: VariantResult): Medians {
  return {
    ms: median(result.samples.map((s) => s.ms)),
    transferMs: median(result.samples.map((s) => s.transferMs)),
    cpuMs: median(result.samples.map((s) => s.cpuMs)),
    serverCpuMs: median(result.serverCpuMs),
  };
}

/** The per-variant table: every run, medians, throughputs, CPU. */
export function printVariants(rounds: RoundsResult, bytes: number, transferNote: readonly string[]): void {
  console.log();
  for (const { variant } of rounds.results.values()) console.log(`${variant.key}: ${variant.label}`);
  console.log();
  printTable(
    [
      '',
      'runs, wall (s)',
      'wall median (s)',
      'MB/s wall',
      'transfer median (s)',
      'MB/s transfer',
      'client CPU (s)',
      'server CPU (s)',
    ],
    [...rounds.results.values()].map((result) => {
      const m = medians(result);
      return [
        result.variant.key,
        result.samples.map((s) => fmt(s.ms / 1000, 2)).join(' '),
        fmt(m.ms / 1000, 2),
        fmt(rate(bytes, m.ms), 0),
        fmt(m.transferMs / 1000, 2),
        fmt(rate(bytes, m.transferMs), 0),
        fmt(m.cpuMs / 1000, 2),
        fmt(m.serverCpuMs / 1000, 2),
      ];
    }),
  );
  for (const line of transferNote) console.log(line);
  console.log('client CPU: this whole process and its children (longshore) or the raw commands');
  console.log('  (curl, the docker CLI, dd); server CPU: the Girder test server process.');
}

/** The memory table of the longshore variants; returns each one's peak above idle. */
export function printMemory(rounds: RoundsResult): Map<string, number> {
  const above = new Map<string, number>();
  const rows: string[][] = [['idle RSS', mb(rounds.idleRss), '', '', '']];
  for (const result of rounds.results.values()) {
    if (result.variant.side !== 'longshore') continue;
    // The verdict takes the larger of the two peaks.
    const exact = result.peakHwm > 0 ? result.peakHwm : 0;
    const peak = Math.max(result.peakRss, exact) - rounds.idleRss;
    above.set(result.variant.key, peak);
    rows.push([
      `${result.variant.key}: peak - idle`,
      mb(result.peakRss - rounds.idleRss),
      exact > 0 ? mb(exact - rounds.idleRss) : 'n/a',
      `< ${mb(MEMORY_TARGET_BYTES)}`,
      peak < MEMORY_TARGET_BYTES ? 'PASS' : 'MISS',
    ]);
  }
  console.log();
  printTable(['memory (this process, RSS)', 'sampled 50 ms', 'exact (VmHWM)', 'target', ''], rows);
  return above;
}

/** One line of a benchmark's verdict table: longshore's variant against a raw one. */
export interface Comparison {
  metric: string;
  longshore: string;
  raw: string;
  /** The whole run, or the transfer alone. */
  field: 'ms' | 'transferMs';
  /** Taken off longshore's times first (an empty task's fixed cost), ms. */
  lessMs?: number;
  /** Whether the 0.8x target applies to this line. */
  target: boolean;
}

/**
 * Prints the comparisons (the ratio of the medians, and each round's ratio, since the machine's
 * load drifts from one round to the next and a round's runs are close in time) and hands them to
 * run-all's summary with the memory rows.
 */
export function compare(
  benchmark: string,
  rounds: RoundsResult,
  bytes: number,
  comparisons: Comparison[],
  memory: Map<string, number>,
): void {
  const get = (key: string): VariantResult => {
    const result = rounds.results.get(key);
    if (!result) throw new Error(`no variant ${key}`);
    return result;
  };
  const present = comparisons.filter((c) => rounds.results.has(c.longshore) && rounds.results.has(c.raw));
  const lines = present.map((c) => {
    const ls = get(c.longshore);
    const raw = get(c.raw);
    const less = c.lessMs ?? 0;
    const lsRate = rate(bytes, medians(ls)[c.field] - less);
    const rawRate = rate(bytes, medians(raw)[c.field]);
    const perRound = ls.samples.map(
      (s, i) => rate(bytes, s[c.field] - less) / rate(bytes, raw.samples[i]![c.field]),
    );
    const ratio = lsRate / rawRate;
    const verdict: SummaryRow['verdict'] = c.target ? (ratio >= THROUGHPUT_TARGET ? 'PASS' : 'MISS') : '-';
    return { c, lsRate, rawRate, ratio, perRound, verdict };
  });
  console.log();
  printTable(
    ['comparison (MB/s of medians)', 'longshore', 'raw', 'ratio', 'each round', 'target', ''],
    lines.map((l) => [
      l.c.metric,
      fmt(l.lsRate, 0),
      fmt(l.rawRate, 0),
      `${fmt(l.ratio, 2)}x`,
      l.perRound.map((r) => fmt(r, 2)).join(' '),
      l.c.target ? `>= ${THROUGHPUT_TARGET}x` : '(info)',
      l.verdict === '-' ? '' : l.verdict,
    ]),
  );
  report([
    ...lines.map((l): SummaryRow => ({
      benchmark,
      metric: l.c.metric,
      longshore: `${fmt(l.lsRate, 0)} MB/s`,
      baseline: `${fmt(l.rawRate, 0)} MB/s`,
      ratio: `${fmt(l.ratio, 2)}x (rounds ${fmt(Math.min(...l.perRound), 2)}-${fmt(Math.max(...l.perRound), 2)})`,
      target: l.c.target ? `>= ${THROUGHPUT_TARGET}x` : '(info)',
      verdict: l.verdict,
    })),
    ...[...memory].map(([key, peak]): SummaryRow => ({
      benchmark,
      metric: `RSS peak above idle (${key})`,
      longshore: mb(peak),
      baseline: `idle ${mb(rounds.idleRss)}`,
      ratio: '-',
      target: `< ${mb(MEMORY_TARGET_BYTES)}`,
      verdict: peak < MEMORY_TARGET_BYTES ? 'PASS' : 'MISS',
    })),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Raw commands whose output goes to files, never through this process's streams. Strings flowing
// through Node's stream machinery (a child's piped stdout) leave V8's optimized code for it
// polymorphic, and longshore's next uploads, which run through the same machinery, then cost this
// process up to twice the CPU: the raw side must not slow the longshore side down.

let outputDir: string | undefined;

async function outputFiles(): Promise<{ stdout: string; stderr: string }> {
  if (outputDir === undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'longshore-bench-girder-out-'));
    onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
    outputDir = dir;
  }
  const dir = outputDir;
  const id = randomBytes(6).toString('hex');
  return { stdout: join(dir, `${id}.out`), stderr: join(dir, `${id}.err`) };
}

interface QuietChild {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Starts a child whose stdout and stderr are files; resolves once it has exited. */
async function startQuiet(child: QuietChild): Promise<{
  process: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}> {
  const files = await outputFiles();
  const out = openSync(files.stdout, 'w');
  const err = openSync(files.stderr, 'w');
  let spawned: ChildProcess;
  try {
    spawned = spawn(child.command, child.args, {
      stdio: ['ignore', out, err],
      env: child.env ?? process.env,
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    spawned.once('error', reject);
    spawned.once('exit', (code) => {
      const read = async (): Promise<{ code: number | null; stdout: string; stderr: string }> => {
        const result = {
          code,
          stdout: await readFile(files.stdout, 'utf8'),
          stderr: await readFile(files.stderr, 'utf8'),
        };
        await Promise.all([rm(files.stdout, { force: true }), rm(files.stderr, { force: true })]);
        return result;
      };
      read().then(resolve, reject);
    });
  });
  return { process: spawned, done };
}

/** `run` of lib.ts with the output in files: rejects on a non-zero exit (or after `timeoutMs`). */
export async function runQuiet(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  const { process: child, done } = await startQuiet({
    command,
    args,
    ...(options.env ? { env: options.env } : {}),
  });
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  try {
    const result = await done;
    if (result.code !== 0) {
      throw new Error(
        `${command} ${args.join(' ')} exited ${result.code ?? 'on a signal'}: ${result.stderr.trim()}`,
      );
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `runPair` of lib.ts with the output in files: two processes that meet on a FIFO, run at once;
 * if either fails the other is killed. The wall time from before the first spawn until both exit.
 */
export async function runQuietPair(
  a: QuietChild,
  b: QuietChild,
  timeoutMs: number,
): Promise<{ ms: number; stdout: [string, string] }> {
  const t0 = performance.now();
  const children = [await startQuiet(a), await startQuiet(b)];
  const timer = setTimeout(() => children.forEach((c) => c.process.kill('SIGKILL')), timeoutMs);
  try {
    const results = await Promise.all(
      children.map(async (c, i) => {
        const result = await c.done;
        if (result.code !== 0) {
          for (const other of children) if (other !== c) other.process.kill('SIGKILL');
          const p = i === 0 ? a : b;
          throw new Error(
            `${p.command} ${p.args.join(' ')} exited ${result.code ?? 'on a signal'}: ${result.stderr.trim()}`,
          );
        }
        return result;
      }),
    );
    return { ms: performance.now() - t0, stdout: [results[0]!.stdout, results[1]!.stdout] };
  } finally {
    clearTimeout(timer);
  }
}
