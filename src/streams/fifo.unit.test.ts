import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamError } from '../core/errors.js';
import { EventReporter } from '../execution/reporter.js';
import type { StreamIO, StreamSink, StreamSource } from '../execution/endpoints.js';
import { runConnection } from '../execution/connection.js';
import { openFifoReader } from './fifo-reader.js';
import { openFifoWriter } from './fifo-writer.js';
import { makeFifo } from './make-fifo.js';
import { pump } from './pump.js';

const MiB = 1024 * 1024;
let dir: string;
let fifoCount = 0;

beforeAll(async () => {
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'longshore-fifo-'));
  // The first child process makes libuv open its signal pipe for good; keep it out of the fd counts.
  await runChild('true', []).done;
});
afterAll(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
});

async function newFifo(): Promise<string> {
  const fifo = path.join(dir, `pipe-${fifoCount++}`);
  await makeFifo(fifo);
  return fifo;
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** Descriptors are closed asynchronously after 'close'; give them a moment before comparing. */
async function expectFdsBackTo(count: number): Promise<void> {
  for (let i = 0; i < 100 && openFds() !== count; i++) await new Promise((r) => setTimeout(r, 10));
  expect(openFds()).toBe(count);
}

interface Child {
  /** Aborted when the child exits: plays the part of the container's exit. */
  exited: AbortSignal;
  done: Promise<{ code: number | null; stdout: Buffer }>;
}

function runChild(command: string, args: string[]): Child {
  const controller = new AbortController();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<{ code: number | null; stdout: Buffer }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => controller.abort());
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks) }));
  });
  return { exited: controller.signal, done };
}

/** `total` bytes: one random 1 MiB block repeated, each copy stamped with its index. */
function patternSource(total: number): { stream: Readable; digest: () => string } {
  const base = randomBytes(MiB);
  const hash = createHash('sha256');
  let offset = 0;
  let index = 0;
  const stream = new Readable({
    highWaterMark: MiB,
    read() {
      if (offset >= total) return void this.push(null);
      const block = Buffer.from(base.subarray(0, Math.min(MiB, total - offset)));
      block.writeUInt32BE(index++, 0);
      offset += block.length;
      hash.update(block);
      this.push(block);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

function hashSink(): { sink: Writable; digest: () => string; bytes: () => number } {
  const hash = createHash('sha256');
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback();
    },
  });
  return { sink, digest: () => hash.digest('hex'), bytes: () => bytes };
}

function throughput(bytes: number, ms: number): string {
  return `${((bytes / MiB / ms) * 1000).toFixed(0)} MiB/s`;
}

describe('openFifoWriter + pump (data into the container)', () => {
  it('streams 256 MiB into a reader process intact', async () => {
    const before = openFds();
    const fifo = await newFifo();
    const total = 256 * MiB;
    const child = runChild('sha256sum', [fifo]);
    const writer = await openFifoWriter(fifo, { containerExited: child.exited });
    expect(writer).not.toBeNull();
    const source = patternSource(total);
    const started = performance.now();
    const result = await pump(source.stream, writer!);
    const elapsed = performance.now() - started;
    const { code, stdout } = await child.done;
    expect(code).toBe(0);
    expect(result).toEqual({ bytes: total, endedEarly: false });
    expect(stdout.toString().split(' ')[0]).toBe(source.digest());
    console.warn(
      `fifo writer: ${total / MiB} MiB in ${elapsed.toFixed(0)} ms, ${throughput(total, elapsed)}`,
    );
    await expectFdsBackTo(before);
  });

  it('resolves null when the container exits without opening the pipe, without blocking', async () => {
    const fifo = await newFifo();
    const before = openFds();
    const child = runChild('sleep', ['0.3']);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const writer = await openFifoWriter(fifo, { containerExited: child.exited });
    clearInterval(ticker);
    expect(writer).toBeNull();
    expect(ticks).toBeGreaterThan(10);
    await child.done;
    await expectFdsBackTo(before);
  });

  it('resolves null when cancelled', async () => {
    const fifo = await newFifo();
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 50);
    const writer = await openFifoWriter(fifo, {
      containerExited: new AbortController().signal,
      signal: cancel.signal,
    });
    expect(writer).toBeNull();
  });

  it('ends early, without an error, when the reader stops after 1 KiB', async () => {
    const before = openFds();
    const fifo = await newFifo();
    const child = runChild('head', ['-c', '1024', fifo]);
    const writer = await openFifoWriter(fifo, { containerExited: child.exited });
    const source = patternSource(64 * MiB);
    const result = await pump(source.stream, writer!);
    const { stdout } = await child.done;
    expect(stdout.length).toBe(1024);
    expect(result.endedEarly).toBe(true);
    expect(result.bytes).toBeLessThan(64 * MiB);
    expect(source.stream.destroyed).toBe(true);
    await expectFdsBackTo(before);
  });
});

describe('openFifoReader (data out of the container)', () => {
  it('streams 128 MiB out of a writer process intact', async () => {
    const before = openFds();
    const fifo = await newFifo();
    const total = 128 * MiB;
    // tee writes into the FIFO and hashes the very same bytes on stdout.
    const child = runChild('sh', ['-c', `head -c ${total} /dev/urandom | tee "$0" | sha256sum`, fifo]);
    const reader = await openFifoReader(fifo, { containerExited: child.exited });
    const sink = hashSink();
    const started = performance.now();
    const result = await pump(reader, sink.sink);
    const elapsed = performance.now() - started;
    const { code, stdout } = await child.done;
    expect(code).toBe(0);
    expect(result).toEqual({ bytes: total, endedEarly: false });
    expect(sink.digest()).toBe(stdout.toString().split(' ')[0]);
    console.warn(
      `fifo reader: ${total / MiB} MiB in ${elapsed.toFixed(0)} ms, ${throughput(total, elapsed)}`,
    );
    await expectFdsBackTo(before);
  });

  it('ends with EOF once the container exits if it never opened the pipe, without blocking', async () => {
    const fifo = await newFifo();
    const before = openFds();
    const child = runChild('sleep', ['0.3']);
    const reader = await openFifoReader(fifo, { containerExited: child.exited });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const sink = hashSink();
    const result = await pump(reader, sink.sink);
    clearInterval(ticker);
    expect(result).toEqual({ bytes: 0, endedEarly: false });
    expect(ticks).toBeGreaterThan(10);
    await child.done;
    await expectFdsBackTo(before);
  });

  it('ends at once when opened after the container has exited', async () => {
    const fifo = await newFifo();
    const exited = new AbortController();
    exited.abort();
    const reader = await openFifoReader(fifo, { containerExited: exited.signal });
    expect(await pump(reader, hashSink().sink)).toEqual({ bytes: 0, endedEarly: false });
  });

  it('keeps every byte written before the container exited', async () => {
    const fifo = await newFifo();
    const child = runChild('sh', ['-c', 'printf "%s" "last words" > "$0"', fifo]);
    const reader = await openFifoReader(fifo, { containerExited: child.exited });
    reader.pause();
    await child.done;
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    await pump(reader, sink);
    expect(Buffer.concat(chunks).toString()).toBe('last words');
  });

  it('reads every session when the container opens its end several times', async () => {
    const fifo = await newFifo();
    const before = openFds();
    const script = 'for i in 1 2 3; do echo "line $i" > "$0"; sleep 0.05; done';
    const child = runChild('sh', ['-c', script, fifo]);
    const reader = await openFifoReader(fifo, { containerExited: child.exited });
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    const [{ code }] = await Promise.all([child.done, pump(reader, sink)]);
    expect(code).toBe(0);
    expect(Buffer.concat(chunks).toString()).toBe('line 1\nline 2\nline 3\n');
    await expectFdsBackTo(before);
  });

  it('refuses a path that is not a FIFO, or is missing', async () => {
    const file = path.join(dir, 'plain-file');
    await fs.promises.writeFile(file, 'x');
    const options = { containerExited: new AbortController().signal };
    await expect(openFifoReader(file, options)).rejects.toThrow(StreamError);
    await expect(openFifoReader(file, options)).rejects.toThrow(/plain-file is not a FIFO/);
    await expect(openFifoWriter(file, options)).rejects.toThrow(/plain-file is not a FIFO/);
    await expect(openFifoReader(path.join(dir, 'missing'), options)).rejects.toThrow(/missing/);
  });
});

describe('raw FIFO throughput', () => {
  const total = 512 * MiB;

  it('writes 512 MiB into `wc -c`', async () => {
    const fifo = await newFifo();
    const child = runChild('wc', ['-c', fifo]);
    const writer = await openFifoWriter(fifo, { containerExited: child.exited });
    const block = Buffer.alloc(MiB, 7);
    let sent = 0;
    const source = new Readable({
      highWaterMark: MiB,
      read() {
        this.push(sent < total ? block : null);
        sent += MiB;
      },
    });
    const started = performance.now();
    const result = await pump(source, writer!);
    const elapsed = performance.now() - started;
    expect(result.bytes).toBe(total);
    expect(Number((await child.done).stdout.toString().split(' ')[0])).toBe(total);
    console.warn(`raw fifo writer: ${throughput(total, elapsed)}`);
  });

  it('reads 512 MiB from `head -c /dev/zero`', async () => {
    const fifo = await newFifo();
    const child = runChild('sh', ['-c', `head -c ${total} /dev/zero > "$0"`, fifo]);
    const reader = await openFifoReader(fifo, { containerExited: child.exited });
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    const started = performance.now();
    const result = await pump(reader, sink);
    const elapsed = performance.now() - started;
    expect(result.bytes).toBe(total);
    await child.done;
    console.warn(`raw fifo reader: ${throughput(total, elapsed)}`);
  });
});

describe('pump', () => {
  it('rejects with a StreamError, destroying both streams, when the source fails', async () => {
    const source = new Readable({ read() {} });
    const sink = new PassThrough();
    const pumping = pump(source, sink);
    source.push('some');
    source.destroy(new Error('disk on fire'));
    const error = await pumping.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).message).toMatch(/disk on fire/);
    expect((error as StreamError).cause).toBeInstanceOf(Error);
    expect(sink.destroyed).toBe(true);
  });

  it('rejects with a StreamError when the sink fails with anything but EPIPE', async () => {
    const source = patternSource(8 * MiB).stream;
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('no space left'), { code: 'ENOSPC' }));
      },
    });
    await expect(pump(source, sink)).rejects.toThrow(/no space left/);
    expect(source.destroyed).toBe(true);
  });

  it('stops when its signal aborts', async () => {
    const source = new Readable({ read() {} });
    const sink = new PassThrough();
    const controller = new AbortController();
    const pumping = pump(source, sink, { signal: controller.signal });
    controller.abort(new Error('cancelled by user'));
    await expect(pumping).rejects.toThrow(/cancelled by user/);
    expect(source.destroyed && sink.destroyed).toBe(true);
  });

  it('respects the sink backpressure', async () => {
    const { stream } = patternSource(32 * MiB);
    let pending = 0;
    let maxBuffered = 0;
    const sink = new Writable({
      highWaterMark: MiB,
      write(chunk: Buffer, _encoding, callback) {
        pending += chunk.length;
        maxBuffered = Math.max(maxBuffered, this.writableLength);
        setTimeout(() => {
          pending -= chunk.length;
          callback();
        }, 1);
      },
    });
    const result = await pump(stream, sink);
    expect(result.bytes).toBe(32 * MiB);
    expect(pending).toBe(0);
    expect(maxBuffered).toBeLessThanOrEqual(2 * MiB);
  });
});

function fakeIO(containerExited: AbortSignal, signal = new AbortController().signal): StreamIO {
  return {
    signal,
    containerExited,
    reporter: new EventReporter(),
    containerOutput: () => {
      throw new Error('not in these tests');
    },
  };
}

const fifoSource = (fifo: string): StreamSource => ({
  openSource: (io) => openFifoReader(fifo, io),
  describe: () => `FIFO ${fifo}`,
});
const fifoSink = (fifo: string): StreamSink => ({
  openSink: (io) => openFifoWriter(fifo, io),
  describe: () => `FIFO ${fifo}`,
});
const streamSource = (stream: Readable | null): StreamSource => ({
  openSource: () => Promise.resolve(stream),
  describe: () => 'a test stream',
});
const streamSink = (stream: Writable | null): StreamSink => ({
  openSink: () => Promise.resolve(stream),
  describe: () => 'a test sink',
});

describe('runConnection', () => {
  it('runs several connections at once, in both directions', async () => {
    const before = openFds();
    const size = 16 * MiB;
    const inputs = await Promise.all([1, 2, 3].map(() => newFifo()));
    const outputs = await Promise.all([1, 2, 3].map(() => newFifo()));
    // One "container" that hashes three inputs and writes three outputs, all at the same time.
    const script = [
      'sha256sum "$1" > "$1.sum" &',
      'sha256sum "$2" > "$2.sum" &',
      'sha256sum "$3" > "$3.sum" &',
      `head -c ${size} /dev/urandom | tee "$4" | sha256sum > "$4.sum" &`,
      `head -c ${size} /dev/urandom | tee "$5" | sha256sum > "$5.sum" &`,
      `head -c ${size} /dev/urandom | tee "$6" | sha256sum > "$6.sum" &`,
      'wait',
    ].join('\n');
    const child = runChild('sh', ['-c', script, 'sh', ...inputs, ...outputs]);
    const io = fakeIO(child.exited);
    const sent = inputs.map(() => patternSource(size));
    const received = outputs.map(() => hashSink());
    await Promise.all([
      ...inputs.map((fifo, i) => runConnection(streamSource(sent[i]!.stream), fifoSink(fifo), io)),
      ...outputs.map((fifo, i) => runConnection(fifoSource(fifo), streamSink(received[i]!.sink), io)),
    ]);
    expect((await child.done).code).toBe(0);
    const sumOf = async (fifo: string): Promise<string> =>
      (await fs.promises.readFile(`${fifo}.sum`, 'utf8')).split(' ')[0]!;
    for (const [i, fifo] of inputs.entries()) expect(await sumOf(fifo)).toBe(sent[i]!.digest());
    for (const [i, fifo] of outputs.entries()) expect(await sumOf(fifo)).toBe(received[i]!.digest());
    await expectFdsBackTo(before);
  });

  it('closes the sink when the container never opens its pipe', async () => {
    const fifo = await newFifo();
    const before = openFds();
    const child = runChild('sleep', ['0.1']);
    const source = patternSource(MiB).stream;
    await runConnection(streamSource(source), fifoSink(fifo), fakeIO(child.exited));
    expect(source.destroyed).toBe(true);
    await child.done;
    await expectFdsBackTo(before);
  });

  it('closes the opened end when the other fails to open, leaving no descriptor open', async () => {
    const fifo = await newFifo();
    const before = openFds();
    const child = runChild('sleep', ['0.1']);
    const failing: StreamSink = {
      openSink: () => Promise.reject(new Error('bucket not found')),
      describe: () => 'an upload',
    };
    const error = await runConnection(fifoSource(fifo), failing, fakeIO(child.exited)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toMatch(/Could not open an upload: bucket not found/);
    await child.done;
    await expectFdsBackTo(before);
  });

  it('ends cleanly when the container reads only part of its input', async () => {
    const fifo = await newFifo();
    const before = openFds();
    const child = runChild('head', ['-c', '1024', fifo]);
    await runConnection(streamSource(patternSource(32 * MiB).stream), fifoSink(fifo), fakeIO(child.exited));
    expect((await child.done).stdout.length).toBe(1024);
    await expectFdsBackTo(before);
  });
});
