/**
 * Girder -> container: a 1 GiB file of the Girder test server streamed by
 * `Connect(GirderFileIdToStream(id), NamedInputPipe('in'))` into a container that reads it with
 * `cat`, against curl downloading the same file from the same server: to /dev/null (the issue's
 * target), into a FIFO that the same container reads (the raw path of the same task), and into the
 * same container through `docker run -i`. The last two, like longshore's whole-task figure, include
 * a container's start. Rounds alternate the four; medians; this process's RSS is sampled during
 * longshore's runs; an empty file's task gives the fixed cost of a task.
 *
 * LONGSHORE_BENCH_GIRDER_SITE=https serves Girder over HTTPS (a test CA that longshore and curl
 * trust); https-redirect also answers downloads with a 303 to an HTTPS object store, which curl
 * follows with -L. The transfer span then covers Girder's and the store's answers.
 *
 *   npx tsx bench/girder-download.ts     (LONGSHORE_BENCH_MIB / LONGSHORE_BENCH_RUNS shrink it)
 */
import { Connect, GirderFileIdToStream, NamedInputPipe } from '../src/index.js';
import {
  BENCH_LABEL,
  BUSYBOX,
  DOCKER_CLI,
  RUN_ID,
  fmt,
  heading,
  main,
  makeTempDir,
  measure,
  median,
  mkfifo,
  noiseCheck,
  rawContainer,
  runTask,
} from './lib.js';
import {
  compare,
  printMemory,
  printVariants,
  runQuiet,
  runQuietPair,
  runRounds,
  settings,
  benchSite,
  startGirderServer,
  type GirderServer,
  type RoundsResult,
  type Sample,
  type Variant,
} from './girder-common.js';

const SCRIPT = 'cat "$1" > /dev/null';
const TIMEOUT_MS = 300_000;
const ZERO_RUNS = 3;

main(async () => {
  const { bytes, rounds } = settings();
  const site = await benchSite();
  heading(`girder-download (${site.name}): ${fmt(bytes / 2 ** 20, 0)} MiB, ${rounds} rounds, medians`);
  await noiseCheck();
  console.log(`seeding the Girder test server (its own process) with ${bytes} bytes ...`);
  const server = await startGirderServer(bytes, site);
  // curl trusts the same CA, and follows the store's redirect as requests would.
  const curlSite = [...(site.caFile ? ['--cacert', site.caFile] : []), ...(site.objectStore ? ['-L'] : [])];
  // The raw commands' shells expand it (paths without spaces).
  process.env.CURL_SITE = curlSite.join(' ');
  const { info } = server;
  const url = (fileId: string): string => `${info.apiUrl}/file/${fileId}/download`;
  /** The server's span of this run's download requests (it forgets them once asked). */
  const served = (fileId: string): Promise<number> => server.servedSpan(`/file/${fileId}/download`);

  /** longshore: the file into the container's FIFO. */
  const longshore = async (fileId: string, script = SCRIPT): Promise<Sample> => {
    const m = await measure(() =>
      runTask(BUSYBOX, {
        entrypoint: ['sh', '-c', script, 'sh'],
        containerArgs: [new Connect(new GirderFileIdToStream(fileId), new NamedInputPipe('in'))],
      }),
    );
    return { ms: m.ms, cpuMs: m.cpuMs, transferMs: await served(fileId) };
  };

  /** curl alone, to /dev/null. */
  const curl = async (fileId: string, expected: number): Promise<Sample> => {
    let out = '';
    const m = await measure(async () => {
      out = (
        await runQuiet('curl', [
          '-sS',
          '--fail',
          ...curlSite,
          '-o',
          '/dev/null',
          '-w',
          '%{size_download} %{time_total}',
          '-H',
          `Girder-Token: ${info.token}`,
          url(fileId),
        ])
      ).stdout;
    });
    const [size] = out.trim().split(' ').map(Number);
    if (size !== expected) throw new Error(`curl downloaded ${size} bytes, not ${expected}`);
    return { ms: m.ms, cpuMs: m.cpuMs, transferMs: await served(fileId) };
  };

  /** curl piped into the same container, through the docker CLI's stdin. */
  const curlDocker = async (
    fileId: string,
    script = 'cat > /dev/null',
  ): Promise<Sample & { stdout: string }> => {
    let stdout = '';
    const m = await measure(async () => {
      stdout = (
        await runQuiet(
          'bash',
          [
            '-c',
            'set -o pipefail; curl -sS --fail $CURL_SITE -H "Girder-Token: $TOKEN" "$1" | "$2" run -i --rm --label "$3" "$4" sh -c "$5"',
            'bash',
            url(fileId),
            DOCKER_CLI,
            `${BENCH_LABEL}=${RUN_ID}`,
            BUSYBOX,
            script,
          ],
          { env: { ...process.env, TOKEN: info.token }, timeoutMs: TIMEOUT_MS },
        )
      ).stdout;
    });
    return { ms: m.ms, cpuMs: m.cpuMs, transferMs: await served(fileId), stdout };
  };

  /**
   * curl into a FIFO that the same container reads (bind-mounted): the raw path of a download
   * into a container, as stream-in's baseline does it for a host file.
   */
  const fifoDir = await makeTempDir('girder-download-raw');
  const fifo = `${fifoDir}/fifo`;
  await mkfifo(fifo);
  const curlFifo = async (fileId: string, expected: number): Promise<Sample> => {
    const { ms, stdout } = await runQuietPair(
      rawContainer(fifoDir, 'cat "$0" > /dev/null', '/x/fifo'),
      {
        command: 'sh',
        args: [
          '-c',
          // The FIFO opens first (once the container reads it): curl's time_total is the transfer.
          'exec 3> "$2"\ncurl -sS --fail $CURL_SITE -o /dev/fd/3 -w "%{size_download} %{time_total}\\n" -H "Girder-Token: $3" "$1" || exit 1\nexec 3>&-\ntimes',
          'sh',
          url(fileId),
          fifo,
          info.token,
        ],
      },
      TIMEOUT_MS,
    );
    const [first = '', ...rest] = stdout[1].trim().split('\n');
    const [size] = first.split(' ').map(Number);
    if (size !== expected) throw new Error(`curl > fifo: ${size} bytes, not ${expected}`);
    // The shell's `times`: its own user and system time, then its children's (curl's).
    const times = [...rest.join(' ').matchAll(/(\d+)m([\d.]+)s/g)].map(
      (m) => Number(m[1]) * 60 + Number(m[2]),
    );
    const cpuMs = times.length >= 4 ? (times[2]! + times[3]!) * 1000 : NaN;
    return { ms, cpuMs, transferMs: await served(fileId) };
  };

  // Warm-up (the image, this process's modules, longshore's one-time sweep), then the fixed cost
  // of a task, with an empty file: what the container's start adds to each side.
  await longshore(info.emptyFileId);
  await curl(info.emptyFileId, 0);
  await curlDocker(info.emptyFileId);
  await curlFifo(info.emptyFileId, 0);
  const zero = { longshore: [] as number[], curlDocker: [] as number[] };
  for (let i = 0; i < ZERO_RUNS; i++) {
    const a = async (): Promise<void> => void zero.longshore.push((await longshore(info.emptyFileId)).ms);
    const b = async (): Promise<void> => void zero.curlDocker.push((await curlDocker(info.emptyFileId)).ms);
    if (i % 2 === 0) await a().then(b);
    else await b().then(a);
  }

  // Every byte arrives, once per side (untimed): the container counts them.
  const check = `n=$(wc -c < "$1"); [ "$n" -eq ${bytes} ] || { echo "the container read $n bytes" >&2; exit 1; }`;
  await longshore(info.fileId!, check);
  const counted = await curlDocker(info.fileId!, 'wc -c');
  if (Number(counted.stdout.trim()) !== bytes) {
    throw new Error(`curl | docker run: the container read ${counted.stdout.trim()} bytes, not ${bytes}`);
  }
  console.log(
    `byte counts checked: ${bytes} in the container through longshore and through curl | docker run -i`,
  );

  const fileId = info.fileId!;
  const variants: Variant[] = [
    {
      key: 'longshore',
      label: `dockerRun.delay('${BUSYBOX}', { entrypoint: ['sh', '-c', '${SCRIPT}', 'sh'], containerArgs: [new Connect(new GirderFileIdToStream(id), new NamedInputPipe('in'))] })`,
      side: 'longshore',
      run: () => longshore(fileId),
    },
    {
      key: 'curl',
      label: "curl -s -o /dev/null -H 'Girder-Token: ...' API/file/ID/download",
      side: 'raw',
      run: () => curl(fileId, bytes),
    },
    {
      key: 'curl > fifo',
      label: `curl -s -o DIR/fifo (opened first) -H 'Girder-Token: ...' API/file/ID/download  +  docker run --rm -v DIR:/x ${BUSYBOX} sh -c 'cat /x/fifo > /dev/null'`,
      side: 'raw',
      run: () => curlFifo(fileId, bytes),
    },
    {
      key: 'curl | docker',
      label: `curl -s -H 'Girder-Token: ...' API/file/ID/download | docker run -i --rm ${BUSYBOX} sh -c 'cat > /dev/null'`,
      side: 'raw',
      run: () => curlDocker(fileId),
    },
  ];
  const result = await runRounds(variants, rounds, server);
  printVariants(result, bytes, [
    "transfer: the Girder test server's own span of the run's download requests, from the arrival",
    '  of the first to the end of the last answer: one clock for every side.',
  ]);
  summarize(result, bytes, zero, printMemory(result), server, site.name);
});

function summarize(
  result: RoundsResult,
  bytes: number,
  zero: { longshore: number[]; curlDocker: number[] },
  memory: Map<string, number>,
  server: GirderServer,
  siteName: string,
): void {
  const emptyTask = median(zero.longshore);
  compare(
    siteName === 'plain' ? 'girder-download' : `girder-download (${siteName})`,
    result,
    bytes,
    [
      {
        metric: 'GirderFileIdToStream throughput (request to last byte) vs curl -o /dev/null',
        longshore: 'longshore',
        raw: 'curl',
        field: 'transferMs',
        target: true,
      },
      {
        metric: 'the same vs curl -o FIFO read by the container',
        longshore: 'longshore',
        raw: 'curl > fifo',
        field: 'transferMs',
        target: false,
      },
      {
        metric: 'whole task (container start included) vs curl -o /dev/null',
        longshore: 'longshore',
        raw: 'curl',
        field: 'ms',
        target: false,
      },
      {
        metric: 'whole task, less an empty-file task, vs curl -o /dev/null',
        longshore: 'longshore',
        raw: 'curl',
        field: 'ms',
        lessMs: emptyTask,
        target: false,
      },
      {
        metric: 'whole task vs curl -o FIFO + docker run reading it',
        longshore: 'longshore',
        raw: 'curl > fifo',
        field: 'ms',
        target: false,
      },
      {
        metric: 'whole task vs curl | docker run -i',
        longshore: 'longshore',
        raw: 'curl | docker',
        field: 'ms',
        target: false,
      },
    ],
    memory,
  );
  console.log(
    `empty file, whole task: longshore ${fmt(emptyTask / 1000, 3)} s, curl | docker run -i ${fmt(median(zero.curlDocker) / 1000, 3)} s`,
  );
  console.log(`server process RSS at the end: ${fmt(server.rss() / 1e6, 0)} MB`);
}
