/**
 * Diagnostic, not part of run-all: which host-side FIFO I/O method costs what. The container side
 * is fixed (busybox `cat` reading, `dd bs=1M` writing, started with the docker CLI); the host side
 * varies:
 *
 *   raw        coreutils `cat` (blocking read/write, 128 KiB buffers)
 *   longshore  longshore's own stream modules as they are, without the rest of the task: into the
 *              container, runConnection (a host file into a FIFO: a `cat` child copies it, the
 *              pipe grown to 1 MiB); out of it, openFifoReader (non-blocking FIFO fd as a
 *              net.Socket on epoll, pipe grown to 1 MiB, reads of up to 1 MiB) and pump
 *   pump       into the container only: the in-process path any Node Readable takes (the FIFO
 *              grown to 1 MiB, written by a net.Socket, pump)
 *   blocking   the same open, then the FIFO reopened WITHOUT O_NONBLOCK and moved by
 *              fs.createReadStream / fs.createWriteStream (blocking syscalls on libuv's threadpool,
 *              1 MiB per call)
 *
 * Each variant moves 1 GiB, 3 runs alternating, median wall time (docker run included, so the
 * variants compare with each other and with raw exactly).
 *
 *   npx tsx bench/fifo-variants.ts  (LONGSHORE_BENCH_MIB / LONGSHORE_BENCH_RUNS shrink it;
 *                                    LONGSHORE_BENCH_DIRECTION=in|out runs one direction)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable, type Readable } from 'node:stream';
import { openFifoReader, openFifoWriter, openHostFileReader, pump } from '../src/streams/index.js';
import { runConnection } from '../src/execution/connection.js';
import type { StreamIO } from '../src/execution/endpoints.js';
import {
  fmt,
  heading,
  main,
  makeTempDir,
  median,
  mkfifo,
  noiseCheck,
  printTable,
  rawContainer,
  runPair,
  writeBigFile,
} from './lib.js';
import { settings } from './stream-common.js';

const TIMEOUT_MS = 300_000;
type Variant = 'raw' | 'longshore' | 'pump' | 'blocking';
const VARIANTS: Record<'in' | 'out', Variant[]> = {
  in: ['raw', 'longshore', 'pump', 'blocking'],
  out: ['raw', 'longshore', 'blocking'],
};

class CountingSink extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.bytes += chunk.length;
    callback();
  }
}

/** Runs the container with the docker CLI while `host` moves the data; resolves with the wall time. */
async function withContainer(
  container: { command: string; args: string[] },
  host: (containerExited: AbortSignal) => Promise<void>,
): Promise<number> {
  const t0 = performance.now();
  const exited = new AbortController();
  const child = spawn(container.command, container.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      exited.abort();
      if (code === 0) resolve();
      else reject(new Error(`docker run exited ${code}: ${stderr.trim()}`));
    });
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  try {
    await Promise.all([host(exited.signal), done]);
    return performance.now() - t0;
  } finally {
    clearTimeout(timer);
  }
}

main(async () => {
  const { bytes, runs } = settings();
  const mib = bytes / 2 ** 20;
  heading(`fifo-variants: ${mib} MiB each way, ${runs} runs per variant, median wall time`);
  await noiseCheck();
  const direction = process.env.LONGSHORE_BENCH_DIRECTION ?? 'both';
  const dir = await makeTempDir('fifo-variants');
  const file = join(dir, 'big.bin');
  if (direction !== 'out') await writeBigFile(file, bytes);
  const fifoDir = await makeTempDir('fifo-variants-fifo');
  const fifo = join(fifoDir, 'fifo');
  await mkfifo(fifo);

  const into = async (variant: Variant): Promise<number> => {
    const container = rawContainer(fifoDir, 'cat /x/fifo > /dev/null');
    if (variant === 'raw') {
      const { ms } = await runPair(
        container,
        { command: 'sh', args: ['-c', 'cat "$1" > "$2"', 'sh', file, fifo] },
        TIMEOUT_MS,
      );
      return ms;
    }
    if (variant === 'longshore') {
      return withContainer(container, (containerExited) =>
        runConnection(
          { openSource: () => openHostFileReader(file), describe: () => file },
          { openSink: (io) => openFifoWriter(fifo, io), describe: () => fifo },
          { containerExited, signal: new AbortController().signal } as StreamIO,
        ),
      );
    }
    return withContainer(container, async (containerExited) => {
      const socket = await openFifoWriter(fifo, { containerExited });
      if (!socket) throw new Error('the container never opened its FIFO');
      let sink = socket;
      if (variant === 'blocking') {
        // A reader is there now, so a blocking open returns at once.
        const fd = fs.openSync(fifo, fs.constants.O_WRONLY);
        socket.destroy();
        sink = fs.createWriteStream('', { fd, highWaterMark: 1 << 20 });
      }
      const { bytes: moved } = await pump(await openHostFileReader(file), sink);
      if (moved !== bytes) throw new Error(`moved ${moved} bytes, not ${bytes}`);
    });
  };

  const out = async (variant: Variant): Promise<number> => {
    const container = rawContainer(fifoDir, `dd if=/dev/zero bs=1048576 count=${mib} of=/x/fifo 2>/dev/null`);
    if (variant === 'raw') {
      const { ms } = await runPair(
        container,
        { command: 'sh', args: ['-c', 'cat "$1" > /dev/null', 'sh', fifo] },
        TIMEOUT_MS,
      );
      return ms;
    }
    return withContainer(container, async (containerExited) => {
      const source: Readable =
        variant === 'longshore'
          ? await openFifoReader(fifo, { containerExited })
          : fs.createReadStream(fifo, { highWaterMark: 1 << 20 });
      const sink = new CountingSink();
      await pump(source, sink);
      if (sink.bytes !== bytes) throw new Error(`received ${sink.bytes} bytes, not ${bytes}`);
    });
  };

  const directions = [
    ['in', 'host -> container (container: cat FIFO > /dev/null)', into],
    ['out', 'container -> host (container: dd bs=1M > FIFO)', out],
  ] as const;
  for (const [which, name, body] of directions) {
    if (direction !== 'both' && direction !== which) continue;
    await body('raw'); // warm-up
    const variants = VARIANTS[which];
    const times = new Map<Variant, number[]>(variants.map((v) => [v, []]));
    for (let i = 0; i < runs; i++) {
      for (let k = 0; k < variants.length; k++) {
        const variant = variants[(i + k) % variants.length]!;
        times.get(variant)!.push(await body(variant));
      }
    }
    const raw = median(times.get('raw')!);
    console.log(`\n${name}`);
    printTable(
      ['host side', 'runs (s)', 'median (s)', 'MB/s (wall)', 'vs raw'],
      variants.map((v) => {
        const m = median(times.get(v)!);
        return [
          v,
          times
            .get(v)!
            .map((t) => fmt(t / 1000, 2))
            .join(' '),
          fmt(m / 1000, 3),
          fmt(bytes / 1e6 / (m / 1000), 0),
          `${fmt(raw / m, 2)}x`,
        ];
      }),
    );
  }
});
