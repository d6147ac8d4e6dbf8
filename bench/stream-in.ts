/**
 * Host file -> container: a 1 GiB host file streamed through
 * `Connect(HostFile(path), NamedInputPipe('big'))` into a container that reads it with `cat`,
 * against the same container command reading a FIFO fed by a host `cat file > fifo`.
 *
 *   npx tsx bench/stream-in.ts      (LONGSHORE_BENCH_MIB / LONGSHORE_BENCH_RUNS shrink it)
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Connect, HostFile, NamedInputPipe } from '../src/index.js';
import {
  BUSYBOX,
  main,
  makeTempDir,
  measure,
  mkfifo,
  rawContainer,
  runRawPair,
  runTask,
  writeBigFile,
} from './lib.js';
import { runStreamBenchmark, settings } from './stream-common.js';

/** The container's command: sh -c SCRIPT PATH, so the FIFO's path is $0. */
const SCRIPT = 'cat "$0" > /dev/null';
const TIMEOUT_MS = 300_000;

main(async () => {
  const { bytes, runs } = settings();
  const dataDir = await makeTempDir('stream-in');
  const files = new Map<number, string>([
    [0, join(dataDir, 'empty.bin')],
    [bytes, join(dataDir, 'big.bin')],
  ]);
  await writeFile(files.get(0)!, '');
  console.log(`writing ${bytes} bytes to ${files.get(bytes)} ...`);
  await writeBigFile(files.get(bytes)!, bytes);

  const fifoDir = await makeTempDir('stream-in-raw');
  const fifo = join(fifoDir, 'fifo');
  await mkfifo(fifo);

  await runStreamBenchmark({
    name: 'stream-in',
    describe: {
      raw: `docker run --rm -v DIR:/x ${BUSYBOX} sh -c '${SCRIPT}' /x/fifo  +  sh -c 'cat FILE > DIR/fifo'`,
      longshore: `dockerRun.delay('${BUSYBOX}', { entrypoint: ['sh', '-c'], containerArgs: ['${SCRIPT}', new Connect(new HostFile(FILE), new NamedInputPipe('big'))] })`,
    },
    bytes,
    runs,
    raw: (n) =>
      runRawPair(
        rawContainer(fifoDir, SCRIPT, '/x/fifo'),
        'cat "$1" > "$2"',
        [files.get(n)!, fifo],
        TIMEOUT_MS,
      ),
    longshore: (n) =>
      measure(() =>
        runTask(BUSYBOX, {
          entrypoint: ['sh', '-c'],
          containerArgs: [SCRIPT, new Connect(new HostFile(files.get(n)!), new NamedInputPipe('big'))],
        }),
      ),
  });
});
