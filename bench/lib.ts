/**
 * Shared helpers for the benchmarks: cleanup that runs even on failure or Ctrl-C, child processes,
 * statistics, RSS sampling, HTTP tracing of engine calls, tables, and the summary rows that
 * `bench/run-all.ts` collects. Benchmarks PRINT figures; nothing here asserts a timing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawn, type SpawnOptions } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { appendFileSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dockerRun, type DockerRunCallOptions, type DockerRunResult, type TaskHandle } from '../src/index.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
/** The docker CLI the raw baselines run. */
export const DOCKER_CLI = process.env.LONGSHORE_BENCH_DOCKER ?? '/usr/local/bin/docker';
export const DOCKER_SOCKET = process.env.LONGSHORE_DOCKER_SOCKET ?? '/var/run/docker.sock';
export const BUSYBOX = 'longshore/busybox';

/** Every container a benchmark starts (raw or through longshore) carries this label, for the sweep. */
export const BENCH_LABEL = 'longshore.bench';
export const RUN_ID = `${process.pid}-${randomBytes(4).toString('hex')}`;
export const benchLabels = { [BENCH_LABEL]: RUN_ID };

// ---------------------------------------------------------------------------------------------
// Cleanup: registered steps run newest first, on success, on failure and on SIGINT/SIGTERM.

type Step = { name: string; run: () => unknown };
const steps: Step[] = [];
const liveTasks = new Set<TaskHandle<DockerRunResult>>();
let cleaning: Promise<void> | undefined;

/**
 * The raw baseline's container: `docker run --rm` of busybox with DIR mounted at /x, running
 * `sh -c SCRIPT ARGS...`, labelled so that the final sweep finds it.
 */
export function rawContainer(
  dir: string,
  script: string,
  ...args: string[]
): { command: string; args: string[] } {
  return {
    command: DOCKER_CLI,
    args: [
      'run',
      '--rm',
      '--label',
      `${BENCH_LABEL}=${RUN_ID}`,
      '-v',
      `${dir}:/x`,
      BUSYBOX,
      'sh',
      '-c',
      script,
      ...args,
    ],
  };
}

export function onCleanup(name: string, run: () => unknown): void {
  steps.push({ name, run });
}

export function runCleanup(): Promise<void> {
  cleaning ??= (async () => {
    // Tasks still running are cancelled so that longshore removes their containers and FIFOs.
    for (const handle of liveTasks) handle.cancel('stopped by the benchmark cleanup');
    await Promise.race([
      Promise.allSettled([...liveTasks].map((h) => h.get())),
      new Promise((resolve) => setTimeout(resolve, 15_000).unref()),
    ]);
    for (const step of steps.reverse()) {
      try {
        await step.run();
      } catch (error) {
        console.error(`cleanup: ${step.name}: ${String(error)}`);
      }
    }
    await sweepContainers();
    await sweepLongshoreTempDirs();
  })();
  return cleaning;
}

/** Removes every container of this run still present (a crash, a killed CLI client...). */
async function sweepContainers(): Promise<void> {
  const listed = await run(DOCKER_CLI, ['ps', '-aq', '--filter', `label=${BENCH_LABEL}=${RUN_ID}`], {
    allowFailure: true,
  });
  const ids = listed.stdout.split(/\s+/).filter(Boolean);
  if (ids.length > 0) {
    console.error(`cleanup: removing ${ids.length} leftover container(s)`);
    await run(DOCKER_CLI, ['rm', '-f', '-v', ...ids], { allowFailure: true });
  }
}

/** longshore's own temporary directories of this process, if a task was cut short. */
async function sweepLongshoreTempDirs(): Promise<void> {
  const root = process.env.LONGSHORE_TMP_ROOT || tmpdir();
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(`longshore-${process.pid}-`))
      await rm(join(root, name), { recursive: true, force: true });
  }
}

/**
 * Runs a benchmark: `body` returns, throws, or is interrupted; cleanup runs in every case. The exit
 * code is non-zero only when the benchmark crashed (a MISS is a result, not a failure).
 */
export function main(body: () => Promise<void>): void {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: cleaning up...`);
    void runCleanup()
      .catch(cleanupFailed)
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  (async () => {
    let failed = false;
    try {
      await body();
    } catch (error) {
      failed = true;
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    } finally {
      await runCleanup();
    }
    process.exit(failed ? 1 : 0);
  })().catch((error: unknown) => {
    // The cleanup itself failed (the docker CLI is missing, say).
    cleanupFailed(error);
    process.exit(1);
  });
}

function cleanupFailed(error: unknown): void {
  console.error(`cleanup failed: ${String(error)}`);
}

// ---------------------------------------------------------------------------------------------
// Files and processes

export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `longshore-bench-${prefix}-`));
  onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  // The container user may differ from ours: let it open FIFOs made here.
  await chmod(dir, 0o777);
  return dir;
}

/** A FIFO of mode 0666 (coreutils mkfifo, as longshore itself does). */
export async function mkfifo(path: string): Promise<void> {
  await run('mkfifo', ['-m', '0666', '--', path]);
}

/** A deterministic block: SHA-256 in counter mode from a fixed seed. */
export function deterministicBlock(size: number, seed = 'longshore-bench'): Buffer {
  const block = Buffer.alloc(size);
  for (let offset = 0, i = 0; offset < size; offset += 32, i++) {
    createHash('sha256').update(`${seed}:${i}`).digest().copy(block, offset);
  }
  return block;
}

/** Writes `totalBytes` made of one repeated deterministic 1 MiB block. */
export async function writeBigFile(path: string, totalBytes: number): Promise<void> {
  const block = deterministicBlock(MiB);
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < totalBytes;) {
      const n = Math.min(block.length, totalBytes - written);
      const { bytesWritten } = await handle.write(block, 0, n);
      written += bytesWritten;
    }
  } finally {
    await handle.close();
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions extends SpawnOptions {
  allowFailure?: boolean;
  timeoutMs?: number;
}

/** A child process, awaited; rejects on a non-zero exit unless `allowFailure`. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const { allowFailure = false, timeoutMs, ...spawnOptions } = options;
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, stdout, stderr };
      if (code === 0 || allowFailure) resolve(result);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

/**
 * Two processes that meet on a FIFO (the docker CLI on one side, a host shell on the other), run
 * concurrently. If either fails, the other (possibly blocked opening the FIFO) is killed. Resolves
 * with the wall time from before the first spawn until both have exited, and their stdout.
 */
export async function runPair(
  a: { command: string; args: string[] },
  b: { command: string; args: string[] },
  timeoutMs: number,
): Promise<{ ms: number; stdout: [string, string] }> {
  const t0 = performance.now();
  const stdout: [string, string] = ['', ''];
  const children = [a, b].map((p) => spawn(p.command, p.args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const exits = children.map(
    (child, i) =>
      new Promise<void>((resolve, reject) => {
        let stderr = '';
        child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout[i] += s));
        child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
        child.once('error', reject);
        child.once('close', (code, signal) => {
          if (code === 0) return resolve();
          for (const other of children) if (other !== child) other.kill('SIGKILL');
          const p = i === 0 ? a : b;
          reject(new Error(`${p.command} ${p.args.join(' ')} exited ${code ?? signal}: ${stderr.trim()}`));
        });
      }),
  );
  const timer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), timeoutMs);
  try {
    const settled = await Promise.allSettled(exits);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason;
    return { ms: performance.now() - t0, stdout };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The docker CLI against a host shell script whose own children's CPU time is measured: the
 * script ends with the shell's `times` builtin, whose second line is its children's user and
 * system time.
 */
export async function runRawPair(
  container: { command: string; args: string[] },
  hostScript: string,
  hostArgs: string[],
  timeoutMs: number,
): Promise<{ ms: number; cpuMs: number }> {
  const { ms, stdout } = await runPair(
    container,
    { command: 'sh', args: ['-c', `${hostScript}\ntimes >&1`, 'sh', ...hostArgs] },
    timeoutMs,
  );
  const times = [...stdout[1].matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  // Lines: the shell's own user and system time, then its children's.
  const cpuMs = times.length >= 4 ? (times[2]! + times[3]!) * 1000 : NaN;
  return { ms, cpuMs };
}

/**
 * Wall time and CPU time (user + system) of `body`: this process's, all threads, plus that of its
 * children that ended meanwhile (longshore may copy through a `cat` or run a `perl`).
 */
export async function measure(body: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const children0 = childrenCpuMs();
  const t0 = performance.now();
  await body();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 + childrenCpuMs() - children0 };
}

/** CPU time of this process's waited-for children (cutime + cstime of /proc/self/stat), in ms. */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // Fields 16 and 17 of proc(5), counted from the state (field 3), in 1/100 s (USER_HZ).
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** Runs one longshore task to its end; an interrupted benchmark cancels it. */
export async function runTask(image: string, options: DockerRunCallOptions): Promise<DockerRunResult> {
  const handle = dockerRun.delay(image, { ...options, labels: { ...options.labels, ...benchLabels } });
  liveTasks.add(handle);
  try {
    return await handle.get();
  } finally {
    liveTasks.delete(handle);
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and memory

export function median(values: readonly number[]): number {
  return percentile(values, 50, true);
}

/** Nearest-rank percentile; `interpolateMedian` averages the two middle values of an even count. */
export function percentile(values: readonly number[], p: number, interpolateMedian = false): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  if (interpolateMedian && p === 50 && sorted.length % 2 === 0) {
    return (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  }
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Samples this process's RSS every `intervalMs` while started. */
export class RssSampler {
  #timer: NodeJS.Timeout | undefined;
  #peak = 0;
  samples = 0;

  start(intervalMs = 50): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): number {
    const rss = process.memoryUsage.rss();
    this.#peak = Math.max(this.#peak, rss);
    this.samples++;
    return rss;
  }

  stop(): number {
    clearInterval(this.#timer);
    this.sample();
    return this.#peak;
  }
}

/** Idle RSS: the median of samples over `ms`, with the process doing nothing else. */
export async function idleRss(ms = 500, intervalMs = 50): Promise<number> {
  const values: number[] = [];
  for (let t = 0; t < ms; t += intervalMs) {
    values.push(process.memoryUsage.rss());
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return median(values);
}

// ---------------------------------------------------------------------------------------------
// HTTP tracing: Node's own diagnostics channels see every request dockerode (or we) make to the
// engine, with no change to longshore's code.

export interface TracedRequest {
  label: string;
  start: number;
  headers?: number;
  end?: number;
}

export class HttpTracer {
  #active: TracedRequest[] | undefined;
  readonly #byRequest = new WeakMap<ClientRequest, TracedRequest>();

  constructor() {
    diagnostics.subscribe('http.client.request.start', (message) => {
      if (!this.#active) return;
      const { request } = message as { request: ClientRequest };
      const traced: TracedRequest = { label: requestLabel(request), start: performance.now() };
      this.#byRequest.set(request, traced);
      this.#active.push(traced);
    });
    // Published when the response's headers arrive; 'end' marks its body's end.
    diagnostics.subscribe('http.client.response.finish', (message) => {
      const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
      const traced = this.#byRequest.get(request);
      if (!traced) return;
      traced.headers = performance.now();
      const ended = (): void => {
        traced.end ??= performance.now();
      };
      response.once('end', ended);
      response.once('close', ended);
    });
  }

  /** Records the requests made while `body` runs. */
  async trace<T>(
    body: () => Promise<T>,
  ): Promise<{ value: T; requests: TracedRequest[]; t0: number; t1: number }> {
    const requests: TracedRequest[] = [];
    this.#active = requests;
    const t0 = performance.now();
    try {
      const value = await body();
      return { value, requests, t0, t1: performance.now() };
    } finally {
      this.#active = undefined;
    }
  }
}

function requestLabel(request: ClientRequest): string {
  const path = request.path
    .replace(/\?.*$/, '')
    .replace(/^\/v\d+\.\d+/, '')
    .replace(/[0-9a-f]{64}/g, '{id}');
  return `${request.method} ${path}`;
}

/**
 * Splits one traced run into consecutive phases that add up to its wall time: each engine call
 * (request to headers for `attach`, whose body lasts as long as the container; request to body end
 * for everything else) and the local time before, between and after them.
 */
export function phases(trace: { requests: TracedRequest[]; t0: number; t1: number }): [string, number][] {
  const out: [string, number][] = [];
  let cursor = trace.t0;
  let previous = 'task start';
  for (const r of [...trace.requests].sort((x, y) => x.start - y.start)) {
    const isAttach = r.label.endsWith('/attach');
    const done = (isAttach ? r.headers : r.end) ?? r.end ?? r.headers ?? r.start;
    const local = r.start - cursor;
    out.push([`local, after ${previous}`, Math.max(0, local)]);
    out.push([isAttach ? `${r.label} (until headers)` : r.label, done - Math.max(cursor, r.start)]);
    cursor = Math.max(cursor, done);
    previous = r.label.split(' ')[0] + ' ' + (r.label.split('/').pop() ?? '');
  }
  out.push([`local, after ${previous}`, Math.max(0, trace.t1 - cursor)]);
  return out;
}

/** Medians per phase label across runs, in the order of the first run. */
export function medianPhases(runs: [string, number][][]): Map<string, number> {
  const values = new Map<string, number[]>();
  for (const runPhases of runs) {
    const seen = new Map<string, number>();
    for (const [label, ms] of runPhases) seen.set(label, (seen.get(label) ?? 0) + ms);
    for (const [label, ms] of seen) values.set(label, [...(values.get(label) ?? []), ms]);
  }
  return new Map([...values].map(([label, list]) => [label, median(list)]));
}

// ---------------------------------------------------------------------------------------------
// Output

export function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

export function mb(bytes: number): string {
  return `${fmt(bytes / 1e6, 1)} MB`;
}

export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

export type Verdict = 'PASS' | 'MISS';

export function atLeast(value: number, target: number): Verdict {
  return value >= target ? 'PASS' : 'MISS';
}

export function atMost(value: number, target: number): Verdict {
  return value <= target ? 'PASS' : 'MISS';
}

/** One line of run-all's Markdown summary. */
export interface SummaryRow {
  benchmark: string;
  metric: string;
  longshore: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: Verdict | '-';
}

/** Hands summary rows to `bench/run-all.ts` (a JSON-lines file it names); a no-op otherwise. */
export function report(rows: SummaryRow[]): void {
  const file = process.env.LONGSHORE_BENCH_SUMMARY;
  if (!file) return;
  for (const row of rows) appendFileSync(file, `${JSON.stringify(row)}\n`);
}

export function heading(title: string): void {
  console.log(`\n=== ${title} ===`);
}

/**
 * Benchmarks share the machine and the engine with whatever else runs: measure how busy the CPUs
 * are for a second before starting (a load average would still count the previous benchmark),
 * and say so when they are, since every figure here is a wall time.
 */
export async function noiseCheck(): Promise<void> {
  const busy = (): { idle: number; total: number } =>
    cpus().reduce(
      (acc, c) => {
        const t = c.times;
        return { idle: acc.idle + t.idle, total: acc.total + t.user + t.nice + t.sys + t.idle + t.irq };
      },
      { idle: 0, total: 0 },
    );
  const before = busy();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = busy();
  const percent = 100 * (1 - (after.idle - before.idle) / Math.max(1, after.total - before.total));
  const listed = await run(DOCKER_CLI, ['ps', '-q', '--filter', 'status=running'], { allowFailure: true });
  const others = listed.stdout.split(/\s+/).filter(Boolean).length;
  console.log(
    `machine before the start: CPUs ${percent.toFixed(0)}% busy (${cpus().length} CPUs), ${others} running container(s)`,
  );
  if (percent > 15 || others > 0) {
    console.log(
      'WARNING: the machine or the engine is busy; figures will be noisy (and slower on both sides)',
    );
  }
}
