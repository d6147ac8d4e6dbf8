/**
 * The fixed cost of one task: `dockerRun.delay('longshore/busybox', { entrypoint: ['true'] })`
 * against `docker run --rm longshore/busybox true` (the CLI, spawned), plus two more baselines
 * that show where the time goes: the bare engine API sequence (create, attach, start, wait,
 * remove over plain HTTP on the unix socket), and the same with a fresh temporary directory
 * bind-mounted, as longshore always mounts one (Girder Worker's temporary volume).
 *
 * The contenders alternate, one run of each per round, after a warm-up. longshore's engine calls
 * are timed through Node's http diagnostics channels: nothing in src/ is changed.
 *
 *   npx tsx bench/trivial-task.ts   (LONGSHORE_BENCH_TRIVIAL_RUNS changes the 15 rounds)
 */
import http from 'node:http';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BENCH_LABEL,
  BUSYBOX,
  DOCKER_CLI,
  DOCKER_SOCKET,
  HttpTracer,
  RUN_ID,
  atMost,
  benchLabels,
  fmt,
  heading,
  main,
  median,
  medianPhases,
  noiseCheck,
  percentile,
  phases,
  printTable,
  report,
  run,
  runTask,
} from './lib.js';

const TARGET = 1.05;
const WARMUP = 2;

interface ApiResponse {
  status: number;
  body: string;
}

/** One engine request over the unix socket; `onResponse` sees a streaming response (attach). */
function api(
  method: string,
  path: string,
  body?: unknown,
  onResponse?: (res: http.IncomingMessage) => void,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        socketPath: DOCKER_SOCKET,
        path,
        method,
        headers: payload
          ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        if (onResponse) {
          onResponse(res);
          resolve({ status: res.statusCode ?? 0, body: '' });
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (s: string) => (text += s));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function expect(response: ApiResponse, ok: number[], doing: string): ApiResponse {
  if (!ok.includes(response.status)) throw new Error(`${doing}: HTTP ${response.status} ${response.body}`);
  return response;
}

/** create -> attach -> start -> wait -> remove, the calls longshore makes, nothing else. */
async function rawApi(withTempBind: boolean): Promise<void> {
  let dir: string | undefined;
  if (withTempBind) {
    dir = await mkdtemp(join(tmpdir(), `longshore-bench-bind-`));
    await chmod(dir, 0o2777);
  }
  let id: string | undefined;
  try {
    const created = expect(
      await api('POST', '/containers/create', {
        Image: BUSYBOX,
        Entrypoint: ['true'],
        Cmd: [],
        Labels: benchLabels,
        AttachStdout: true,
        AttachStderr: true,
        HostConfig: { Binds: dir ? [`${dir}:/mnt/girder_worker/bench:rw`] : [] },
      }),
      [201],
      'create',
    );
    id = (JSON.parse(created.body) as { Id: string }).Id;
    let attachEnded!: Promise<void>;
    await api('POST', `/containers/${id}/attach?stream=1&stdout=1&stderr=1`, undefined, (res) => {
      attachEnded = new Promise((resolve) => {
        res.on('end', resolve);
        res.on('close', resolve);
        res.resume();
      });
    });
    expect(await api('POST', `/containers/${id}/start`), [204], 'start');
    const waited = expect(await api('POST', `/containers/${id}/wait`), [200], 'wait');
    const code = (JSON.parse(waited.body) as { StatusCode: number }).StatusCode;
    if (code !== 0) throw new Error(`the container exited ${code}`);
    await attachEnded;
  } finally {
    if (id) expect(await api('DELETE', `/containers/${id}?force=1&v=1`), [204, 404], 'remove');
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

async function cli(): Promise<void> {
  await run(DOCKER_CLI, ['run', '--rm', '--label', `${BENCH_LABEL}=${RUN_ID}`, BUSYBOX, 'true']);
}

async function longshore(): Promise<void> {
  const result = await runTask(BUSYBOX, { entrypoint: ['true'] });
  if (result.exitCode !== 0) throw new Error(`longshore: exit code ${result.exitCode}`);
}

main(async () => {
  const rounds = Number(process.env.LONGSHORE_BENCH_TRIVIAL_RUNS ?? 15);
  if (!Number.isInteger(rounds) || rounds <= 0)
    throw new Error('LONGSHORE_BENCH_TRIVIAL_RUNS: a positive integer');
  heading(`trivial-task: ${rounds} alternating rounds after ${WARMUP} warm-up rounds`);
  await noiseCheck();

  const tracer = new HttpTracer();
  const contenders = [
    { name: 'longshore (dockerRun.delay)', run: longshore },
    { name: 'raw: docker run --rm (CLI)', run: cli },
    { name: 'raw: engine API sequence', run: () => rawApi(false) },
    { name: 'raw: engine API + temp bind mount', run: () => rawApi(true) },
  ];
  const times = contenders.map(() => [] as number[]);
  const traces = contenders.map(() => [] as [string, number][][]);

  for (let round = 0; round < WARMUP + rounds; round++) {
    // Rotate the order so that no contender always follows the same one.
    for (let k = 0; k < contenders.length; k++) {
      const i = (round + k) % contenders.length;
      const contender = contenders[i]!;
      const traced = await tracer.trace(contender.run);
      if (round < WARMUP) continue;
      times[i]!.push(traced.t1 - traced.t0);
      if (traced.requests.length > 0) traces[i]!.push(phases(traced));
    }
  }

  const [ls, cliTimes, apiTimes] = [times[0]!, times[1]!, times[2]!];
  const ratio = median(ls) / median(cliTimes);
  console.log();
  printTable(
    ['', 'median (ms)', 'p90 (ms)', 'longshore / this', 'target', ''],
    contenders.map((c, i) => {
      const r = median(ls) / median(times[i]!);
      return [
        c.name,
        fmt(median(times[i]!)),
        fmt(percentile(times[i]!, 90)),
        i === 0 ? '' : `${fmt(r, 2)}x`,
        i === 1 ? `<= ${TARGET}x` : '',
        i === 1 ? atMost(ratio, TARGET) : '',
      ];
    }),
  );

  // Where the time goes: longshore's engine calls next to the bare API sequence's.
  const lsPhases = medianPhases(traces[0]!);
  const apiPhases = medianPhases(traces[2]!);
  const bindPhases = medianPhases(traces[3]!);
  const labels = [...lsPhases.keys(), ...[...apiPhases.keys()].filter((k) => !lsPhases.has(k))];
  console.log('\nwhere the time goes (median per phase; phases of one run add up to its wall time)');
  printTable(
    ['phase', 'longshore (ms)', 'raw API (ms)', 'raw API + bind (ms)'],
    [
      ...labels.map((label) => [
        label,
        fmt(lsPhases.get(label) ?? NaN),
        fmt(apiPhases.get(label) ?? NaN),
        fmt(bindPhases.get(label) ?? NaN),
      ]),
      ['sum of medians', fmt(sum(lsPhases)), fmt(sum(apiPhases)), fmt(sum(bindPhases))],
    ],
  );
  console.log(`(engine requests per longshore task: ${requestList(traces[0]!)})`);

  report([
    {
      benchmark: 'trivial-task',
      metric: 'wall time, median (p90)',
      longshore: `${fmt(median(ls), 0)} ms (${fmt(percentile(ls, 90), 0)})`,
      baseline: `${fmt(median(cliTimes), 0)} ms (${fmt(percentile(cliTimes, 90), 0)}) docker run`,
      ratio: `${fmt(ratio, 2)}x`,
      target: `<= ${TARGET}x`,
      verdict: atMost(ratio, TARGET),
    },
    {
      benchmark: 'trivial-task',
      metric: 'vs the bare engine API sequence',
      longshore: `${fmt(median(ls), 0)} ms`,
      baseline: `${fmt(median(apiTimes), 0)} ms API`,
      ratio: `${fmt(median(ls) / median(apiTimes), 2)}x`,
      target: '(info)',
      verdict: '-',
    },
  ]);
});

function sum(m: Map<string, number>): number {
  return [...m.values()].reduce((a, b) => a + b, 0);
}

function requestList(runs: [string, number][][]): string {
  const first = runs[0] ?? [];
  return first
    .map(([label]) => label)
    .filter((l) => !l.startsWith('local'))
    .join(', ');
}
