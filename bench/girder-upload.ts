/**
 * Container -> Girder: a container writes 1 GiB (a repeated non-zero pattern) and longshore uploads
 * it to an item of the Girder test server, two ways:
 *
 * - hook: the container writes a `VolumePath`; a `GirderUploadVolumePathToItem` result hook
 *   uploads the file once the container has exited, in chunks of 64 MiB (the default);
 * - stream: the container writes a `NamedOutputPipe` connected to a `GirderUploadStream` of known
 *   size, which sends each chunk while the container writes;
 *
 * against curl uploading the same bytes to the same server with Girder's protocol (POST file to
 * open the upload, then POST file/chunk per 64 MiB):
 *
 * - curl: from a host file already cut into 64 MiB slices (in the page cache), one curl process
 *   for all the chunks: the upload alone, the fastest raw upload there is;
 * - docker + curl: the whole task in shell: `docker run` writes the file into a bind mount, then
 *   `dd | curl` sends each chunk, then the file is removed;
 * - docker > fifo | curl: the container writes a FIFO; `dd | curl` sends each chunk as it comes.
 *
 * Every upload's size is checked in the server (and its bytes, with cmp, in the first round), and
 * the item deleted. Rounds alternate the five; medians.
 *
 *   npx tsx bench/girder-upload.ts     (LONGSHORE_BENCH_MIB / LONGSHORE_BENCH_RUNS shrink it)
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Connect,
  GirderUploadStream,
  GirderUploadVolumePathToItem,
  NamedOutputPipe,
  VolumePath,
} from '../src/index.js';
import {
  BENCH_LABEL,
  BUSYBOX,
  DOCKER_CLI,
  MiB,
  RUN_ID,
  fmt,
  heading,
  main,
  makeTempDir,
  measure,
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

/** girder_client's chunk size, and longshore's default. */
const CHUNK = 64 * MiB;
const TIMEOUT_MS = 300_000;
/** What the container writes, line after line: not zeros, which a smart layer could skip. */
const PATTERN = 'longshore benchmark: a repeated, non-zero pattern 0123456789';
/**
 * sh -c WRITE sh OUT MIB PATTERN: a 1 MiB block of the pattern (as `yes` repeats it), then that
 * block MIB times by one `cat` (busybox `head -c` of a whole GiB moves about 140 MB/s).
 */
const WRITE = [
  'out=$1; n=$2',
  'yes "$3" | head -c 1048576 > /tmp/block',
  'set --',
  'i=0; while [ $i -lt $n ]; do set -- "$@" /tmp/block; i=$((i + 1)); done',
  'cat "$@" > "$out"',
].join('\n');

/** The shell's side of Girder's upload protocol, shared by the raw variants (bash, env below). */
const INIT = `set -euo pipefail
init() {
  curl -sS --fail $CURL_SITE -X POST -H "Girder-Token: $TOKEN" \\
    "$API/file?parentType=item&parentId=$ITEM&name=big.bin&size=$SIZE" |
    sed -n 's/^{"_id":"\\([0-9a-f]*\\)".*/\\1/p'
}
# chunk OFFSET LENGTH: the chunk's bytes on stdin, sent with a Content-Length (not chunked).
chunk() {
  curl -sS --fail $CURL_SITE -o /dev/null -w '%{time_total}\\n' -X POST -T - -H 'Transfer-Encoding:' -H 'Expect:' \\
    -H "Content-Length: $2" -H "Girder-Token: $TOKEN" "$API/file/chunk?offset=$1&uploadId=$upload"
}
upload=$(init)
[ -n "$upload" ]
`;

main(async () => {
  const { bytes, rounds } = settings();
  const mib = bytes / MiB;
  const site = await benchSite();
  heading(`girder-upload (${site.name}): ${fmt(mib, 0)} MiB, ${rounds} rounds, medians`);
  await noiseCheck();
  const server = await startGirderServer(0, site);
  // The raw shells' curl trusts the same CA (a path without spaces).
  process.env.CURL_SITE = site.caFile ? `--cacert ${site.caFile}` : '';
  const { info, client } = server;

  // The bytes every variant uploads, as host slices of one chunk each, for the raw upload and cmp.
  const dataDir = await makeTempDir('girder-upload');
  const blockBytes = Buffer.from(`${PATTERN}\n`.repeat(Math.ceil(MiB / (PATTERN.length + 1)))).subarray(
    0,
    MiB,
  );
  const slices: { path: string; offset: number }[] = [];
  for (let offset = 0; offset < bytes; offset += CHUNK) {
    const path = join(dataDir, `slice.${String(slices.length).padStart(3, '0')}`);
    const handle = await open(path, 'w');
    for (let n = 0; n < Math.min(CHUNK, bytes - offset); n += MiB) await handle.write(blockBytes);
    await handle.close();
    slices.push({ path, offset });
  }
  const fifoDir = await makeTempDir('girder-upload-raw');
  const fifo = join(fifoDir, 'fifo');
  await mkfifo(fifo);

  const newItem = async (name: string): Promise<string> =>
    (await client.post<{ _id: string }>('item', { folderId: info.folderId, name }))._id;

  /** The item holds one file of `bytes` (byte for byte, when `compare`); then the item goes. */
  const checkAndDelete = async (itemId: string, what: string, compare: boolean): Promise<void> => {
    const files = await client.get<{ _id: string; size: number }[]>(`item/${itemId}/files`);
    if (files.length !== 1 || files[0]!.size !== bytes) {
      throw new Error(
        `${what}: the item holds ${JSON.stringify(files.map((f) => f.size))}, not one file of ${bytes}`,
      );
    }
    if (compare) {
      await runQuiet('sh', [
        '-c',
        'cat "$@" | cmp - "$0"',
        join(info.filesDir, files[0]!._id),
        ...slices.map((s) => s.path),
      ]);
      console.log(`${what}: the ${bytes} bytes in Girder are the container's`);
    }
    await client.delete(`item/${itemId}`);
  };

  const rawEnv = (itemId: string): NodeJS.ProcessEnv => ({
    ...process.env,
    API: info.apiUrl,
    TOKEN: info.token,
    ITEM: itemId,
    SIZE: String(bytes),
  });
  /** The server's span of this run's chunk requests (it forgets them once asked). */
  const served = (): Promise<number> => server.servedSpan('/file/chunk');
  /** The shell's loop over the chunks of a stream on fd 3 (or of the file "$1"). */
  const chunkLoop = (from: 'fd3' | 'file'): string => `offset=0
while [ $offset -lt $SIZE ]; do
  len=$(( SIZE - offset < ${CHUNK} ? SIZE - offset : ${CHUNK} ))
  ${
    from === 'fd3'
      ? 'dd bs=1M count=$((len / 1048576)) iflag=fullblock <&3 2>/dev/null'
      : 'dd if="$1" bs=1M skip=$((offset / 1048576)) count=$((len / 1048576)) 2>/dev/null'
  } | chunk $offset $len
  offset=$((offset + len))
done
`;

  const pending = new Map<string, string>();
  const longshoreRun = async (key: string, round: number, mibToWrite = mib, sizeForStream = bytes) => {
    const itemId = await newItem(`${key}-${round}`);
    pending.set(key, itemId);
    const out = new VolumePath('big.bin');
    const options =
      key === 'hook'
        ? {
            containerArgs: [out, String(mibToWrite), PATTERN],
            girderResultHooks: [new GirderUploadVolumePathToItem(out, itemId)],
          }
        : {
            containerArgs: [
              new Connect(
                new NamedOutputPipe('out'),
                new GirderUploadStream({ itemId, name: 'big.bin', size: sizeForStream }),
              ),
              String(mibToWrite),
              PATTERN,
            ],
          };
    const m = await measure(() => runTask(BUSYBOX, { entrypoint: ['sh', '-c', WRITE, 'sh'], ...options }));
    return { ms: m.ms, cpuMs: m.cpuMs, transferMs: await served() };
  };

  const rawRun = async (key: string, round: number): Promise<Sample> => {
    const itemId = await newItem(`${key}-${round}`);
    pending.set(key, itemId);
    const env = rawEnv(itemId);
    if (key === 'curl') {
      const script = `${INIT}args=()
while [ $# -gt 0 ]; do args+=(-o /dev/null -T "$1" "$API/file/chunk?offset=$2&uploadId=$upload"); shift 2; done
curl -sS --fail --fail-early $CURL_SITE -X POST -H 'Expect:' -H "Girder-Token: $TOKEN" -w '%{time_total}\\n' "\${args[@]}"
`;
      const m = await measure(async () => {
        await runQuiet('bash', ['-c', script, 'bash', ...slices.flatMap((s) => [s.path, String(s.offset)])], {
          env,
          timeoutMs: TIMEOUT_MS,
        });
      });
      return { ms: m.ms, cpuMs: m.cpuMs, transferMs: await served() };
    }
    if (key === 'docker + curl') {
      const script = `${'"$DOCKER" run --rm --label "$LABEL" -v "$DIR:/x" "$IMAGE" sh -c "$WRITE" sh /x/big.bin "$MIB" "$PATTERN"'}
${INIT}${chunkLoop('file')}rm -f "$1"
`;
      const m = await measure(async () => {
        await runQuiet('bash', ['-c', script, 'bash', join(fifoDir, 'big.bin')], {
          env: {
            ...env,
            DOCKER: DOCKER_CLI,
            LABEL: `${BENCH_LABEL}=${RUN_ID}`,
            DIR: fifoDir,
            IMAGE: BUSYBOX,
            WRITE,
            MIB: String(mib),
            PATTERN,
          },
          timeoutMs: TIMEOUT_MS,
        });
      });
      return { ms: m.ms, cpuMs: m.cpuMs, transferMs: await served() };
    }
    // docker > fifo | curl: both at once; the FIFO opens once the upload is open.
    const script = `${INIT}exec 3< "$FIFO"
${chunkLoop('fd3')}exec 3<&-
times`;
    const exports = Object.entries({ ...env, FIFO: fifo })
      .filter(([k]) => ['API', 'TOKEN', 'ITEM', 'SIZE', 'FIFO'].includes(k))
      .map(([k, v]) => `export ${k}='${v}'`)
      .join('\n');
    const { ms, stdout } = await runQuietPair(
      rawContainer(fifoDir, WRITE, 'sh', '/x/fifo', String(mib), PATTERN),
      { command: 'bash', args: ['-c', `${exports}\n${script}`] },
      TIMEOUT_MS,
    );
    const times = [...stdout[1].matchAll(/(\d+)m([\d.]+)s/g)].map((x) => Number(x[1]) * 60 + Number(x[2]));
    return {
      ms,
      cpuMs: times.length >= 4 ? (times[2]! + times[3]!) * 1000 : NaN,
      transferMs: await served(),
    };
  };

  const variants: Variant[] = [
    {
      key: 'hook',
      label: `dockerRun.delay('${BUSYBOX}', { entrypoint: ['sh', '-c', WRITE, 'sh'], containerArgs: [out = new VolumePath('big.bin'), ...], girderResultHooks: [new GirderUploadVolumePathToItem(out, itemId)] })`,
      side: 'longshore',
      run: (round) => longshoreRun('hook', round),
    },
    {
      key: 'stream',
      label: `the same writing into new Connect(new NamedOutputPipe('out'), new GirderUploadStream({ itemId, name, size: ${bytes} }))`,
      side: 'longshore',
      run: (round) => longshoreRun('stream', round),
    },
    {
      key: 'curl',
      label: `curl -X POST API/file?...&size=${bytes}, then one curl -X POST -T slice.NNN 'API/file/chunk?offset=...&uploadId=...' per 64 MiB (host slices in the page cache)`,
      side: 'raw',
      run: (round) => rawRun('curl', round),
    },
    {
      key: 'docker + curl',
      label: `docker run -v DIR:/x ${BUSYBOX} sh -c WRITE sh /x/big.bin; curl init; per 64 MiB: dd if=DIR/big.bin skip=... | curl -T - (Content-Length); rm DIR/big.bin`,
      side: 'raw',
      run: (round) => rawRun('docker + curl', round),
    },
    {
      key: 'docker > fifo | curl',
      label: `docker run -v DIR:/x ${BUSYBOX} sh -c WRITE sh /x/fifo  +  curl init; per 64 MiB: dd iflag=fullblock < DIR/fifo | curl -T - (Content-Length)`,
      side: 'raw',
      run: (round) => rawRun('docker > fifo | curl', round),
    },
  ];
  for (const variant of variants) {
    variant.after = (round) => checkAndDelete(pending.get(variant.key)!, variant.key, round === 0);
  }

  // Warm-up: each variant once with 1 MiB (the image, this process's modules, longshore's sweep).
  console.log('warm-up: 1 MiB through each longshore variant');
  for (const key of ['hook', 'stream']) {
    await longshoreRun(key, -1, 1, MiB);
    const itemId = pending.get(key)!;
    const files = await client.get<{ size: number }[]>(`item/${itemId}/files`);
    if (files.length !== 1 || files[0]!.size !== MiB)
      throw new Error(`warm-up ${key}: ${JSON.stringify(files)}`);
    await client.delete(`item/${itemId}`);
  }

  const result = await runRounds(variants, rounds, server);
  printVariants(result, bytes, [
    "transfer: the Girder test server's own span of the run's chunk requests, from the arrival of",
    '  the first to the end of the last answer: one clock for every side.',
  ]);
  summarize(result, bytes, printMemory(result), server);
});

function summarize(
  result: RoundsResult,
  bytes: number,
  memory: Map<string, number>,
  server: GirderServer,
): void {
  compare(
    process.env.LONGSHORE_BENCH_GIRDER_SITE && process.env.LONGSHORE_BENCH_GIRDER_SITE !== 'plain'
      ? `girder-upload (${process.env.LONGSHORE_BENCH_GIRDER_SITE})`
      : 'girder-upload',
    result,
    bytes,
    [
      {
        metric: 'hook: upload throughput (first chunk to last) vs curl from a host file',
        longshore: 'hook',
        raw: 'curl',
        field: 'transferMs',
        target: true,
      },
      {
        metric: 'stream: upload throughput (first chunk to last) vs curl from a host file',
        longshore: 'stream',
        raw: 'curl',
        field: 'transferMs',
        target: true,
      },
      {
        metric: 'hook: the same vs dd | curl from the file a container just wrote',
        longshore: 'hook',
        raw: 'docker + curl',
        field: 'transferMs',
        target: false,
      },
      {
        metric: 'stream: the same vs dd | curl from a FIFO the container writes',
        longshore: 'stream',
        raw: 'docker > fifo | curl',
        field: 'transferMs',
        target: false,
      },
      {
        metric: 'hook: whole task vs docker run writing a file + dd | curl per chunk',
        longshore: 'hook',
        raw: 'docker + curl',
        field: 'ms',
        target: false,
      },
      {
        metric: 'stream: whole task vs docker run writing a FIFO + dd | curl per chunk',
        longshore: 'stream',
        raw: 'docker > fifo | curl',
        field: 'ms',
        target: false,
      },
    ],
    memory,
  );
  console.log(`server process RSS at the end: ${fmt(server.rss() / 1e6, 0)} MB`);
}
