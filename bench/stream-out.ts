/**
 * Container -> host: a container writes 1 GiB into `NamedOutputPipe('out')`, connected to a host
 * Writable that counts the bytes and discards them, against the same container command writing
 * a FIFO that a host `cat fifo > /dev/null` drains.
 *
 * The container writes with `dd bs=1M`: busybox `head -c` moves about 140 MB/s (small reads and
 * writes), which would hide the host side entirely; LONGSHORE_BENCH_WRITER=head uses it anyway.
 *
 *   npx tsx bench/stream-out.ts     (LONGSHORE_BENCH_MIB / LONGSHORE_BENCH_RUNS shrink it)
 */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { Connect, NamedOutputPipe } from '../src/index.js';
import { BUSYBOX, main, makeTempDir, measure, mkfifo, rawContainer, runRawPair, runTask } from './lib.js';
import { runStreamBenchmark, settings } from './stream-common.js';

const TIMEOUT_MS = 300_000;

/** sh -c SCRIPT PATH BYTES: the FIFO's path is $0, the byte count $1. */
function script(bytes: number): string {
  return process.env.LONGSHORE_BENCH_WRITER === 'head'
    ? 'head -c "$1" /dev/zero > "$0"'
    : `dd if=/dev/zero bs=1048576 count=${bytes / 1048576} of="$0" 2>/dev/null`;
}

/** The host sink: counts and discards. */
class CountingSink extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    callback();
  }
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    for (const { chunk } of chunks) this.bytes += chunk.length;
    callback();
  }
}

main(async () => {
  const { bytes, runs } = settings();
  const fifoDir = await makeTempDir('stream-out-raw');
  const fifo = join(fifoDir, 'fifo');
  await mkfifo(fifo);

  await runStreamBenchmark({
    name: 'stream-out',
    describe: {
      raw: `docker run --rm -v DIR:/x ${BUSYBOX} sh -c '${script(bytes)}' /x/fifo ${bytes}  +  sh -c 'cat DIR/fifo > /dev/null'`,
      longshore: `dockerRun.delay('${BUSYBOX}', { entrypoint: ['sh', '-c'], containerArgs: [SCRIPT, new Connect(new NamedOutputPipe('out'), countingWritable), ${bytes}] })`,
    },
    bytes,
    runs,
    raw: (n) =>
      runRawPair(
        rawContainer(fifoDir, script(n), '/x/fifo', String(n)),
        'cat "$1" > /dev/null',
        [fifo],
        TIMEOUT_MS,
      ),
    longshore: async (n) => {
      const sink = new CountingSink();
      const run = await measure(() =>
        runTask(BUSYBOX, {
          entrypoint: ['sh', '-c'],
          containerArgs: [script(n), new Connect(new NamedOutputPipe('out'), sink), n],
        }),
      );
      if (sink.bytes !== n) throw new Error(`the host received ${sink.bytes} bytes, not ${n}`);
      return run;
    },
  });
});
