import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lineLogger } from '../../test/helpers/logs.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { configure, resetConfiguration } from '../config/configuration.js';
import { StreamError } from '../core/errors.js';
import { EventReporter } from '../execution/reporter.js';
import type { StreamIO } from '../execution/endpoints.js';
import { runConnection } from '../execution/connection.js';
import { copyDirectly, markFileSource } from './direct-copy.js';
import { openFifoReader } from '../streams/fifo-reader.js';
import { openFifoWriter } from '../streams/fifo-writer.js';
import { openHostFileReader } from '../streams/host-file.js';
import { makeFifo } from '../streams/make-fifo.js';
import { BIG_PIPE_SIZE, growPipe } from './pipe-size.js';
import { pump } from '../streams/pump.js';

const MiB = 1024 * 1024;
let dir: string;
let count = 0;

beforeAll(async () => {
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'longshore-direct-'));
  // The first child process makes libuv open its signal pipe for good; keep it out of the fd counts.
  spawnSync('true');
  await new Promise<void>((resolve) => spawn('true').once('close', () => resolve()));
});
afterAll(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
});

async function newFifo(): Promise<string> {
  const fifo = path.join(dir, `pipe-${count++}`);
  await makeFifo(fifo);
  return fifo;
}

async function newFile(bytes: number): Promise<{ file: string; sha256: string }> {
  const file = path.join(dir, `file-${count++}`);
  const data = randomBytes(bytes);
  await fs.promises.writeFile(file, data);
  return { file, sha256: createHash('sha256').update(data).digest('hex') };
}

const openFds = (): number => fs.readdirSync('/proc/self/fd').length;

/** Descriptors are closed asynchronously after 'close'; give them a moment before comparing. */
async function expectFdsBackTo(before: number): Promise<void> {
  for (let i = 0; i < 100 && openFds() !== before; i++) await new Promise((r) => setTimeout(r, 10));
  expect(openFds()).toBe(before);
}

/** Live child processes of this process (zombies excluded), by command name. */
function children(): string[] {
  const names: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [, comm = '', rest = ''] = /\((.*)\) (.*)/.exec(stat) ?? [];
      const [state, ppid] = rest.split(' ');
      if (Number(ppid) === process.pid && state !== 'Z') names.push(comm);
    } catch {
      // gone meanwhile
    }
  }
  return names;
}

/** A stand-in for the container: a shell reading the FIFO, aborting `exited` when it ends. */
function container(
  script: string,
  fifo: string,
): { exited: AbortSignal; stdout: Promise<string>; kill: () => void } {
  const exited = new AbortController();
  const child = spawn('sh', ['-c', script, fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  const stdout = new Promise<string>((resolve) => {
    child.once('close', () => {
      exited.abort();
      resolve(out);
    });
  });
  return { exited: exited.signal, stdout, kill: () => child.kill() };
}

function io(exited: AbortSignal, signal = new AbortController().signal): StreamIO {
  return {
    signal,
    containerExited: exited,
    reporter: new EventReporter(),
    containerOutput: () => {
      throw new Error('not in these tests');
    },
  };
}

describe('copyDirectly (a host file into a FIFO, by a cat child)', () => {
  it('copies 64 MiB intact without a byte through Node, leaving no process or descriptor', async () => {
    const before = openFds();
    const fifo = await newFifo();
    const { file, sha256 } = await newFile(64 * MiB);
    const reader = container('sha256sum "$0"', fifo);
    const source = (await openHostFileReader(file)) as fs.ReadStream;
    const sink = await openFifoWriter(fifo, { containerExited: reader.exited });
    expect(await copyDirectly(source, sink!)).toEqual({ endedEarly: false, path: 'cat', bytes: 64 * MiB });
    expect((await reader.stdout).split(' ')[0]).toBe(sha256);
    expect(source.bytesRead).toBe(0);
    expect(source.destroyed && sink!.destroyed).toBe(true);
    expect(children()).toEqual([]);
    await expectFdsBackTo(before);
  });

  it('is what runConnection does for a host file and a FIFO', async () => {
    const fifo = await newFifo();
    const { file, sha256 } = await newFile(3 * MiB + 5);
    const reader = container('sha256sum "$0"', fifo);
    await runConnection(
      { openSource: () => openHostFileReader(file), describe: () => 'a host file' },
      { openSink: (streamIO) => openFifoWriter(fifo, streamIO), describe: () => 'a FIFO' },
      io(reader.exited),
    );
    expect((await reader.stdout).split(' ')[0]).toBe(sha256);
  });

  it('leaves any other pair to pump', async () => {
    const fifo = await newFifo();
    const reader = container('cat "$0" > /dev/null', fifo);
    const sink = await openFifoWriter(fifo, { containerExited: reader.exited });
    const source = Readable.from([Buffer.from('not a file')]);
    expect(await copyDirectly(source, sink!)).toBeUndefined();
    const file = await openHostFileReader(__filename);
    expect(await copyDirectly(file, new PassThrough())).toBeUndefined();
    expect(source.destroyed || sink!.destroyed || file.destroyed).toBe(false);
    // The next test counts descriptors: wait until this one is really closed.
    await new Promise<void>((resolve) => file.once('close', () => resolve()).destroy());
    await pump(source, sink!);
    await reader.stdout;
  });

  it('ends early, without an error, when the reader stops after 1 KiB', async () => {
    const before = openFds();
    const fifo = await newFifo();
    const { file } = await newFile(32 * MiB);
    const reader = container('head -c 1024 "$0" | wc -c', fifo);
    const sink = await openFifoWriter(fifo, { containerExited: reader.exited });
    expect(await copyDirectly(await openHostFileReader(file), sink!)).toEqual({
      endedEarly: true,
      path: 'cat',
    });
    expect((await reader.stdout).trim()).toBe('1024');
    expect(children()).toEqual([]);
    await expectFdsBackTo(before);
  });

  it('kills cat when its signal aborts, even blocked on a reader that does not read', async () => {
    const before = openFds();
    const fifo = await newFifo();
    const { file } = await newFile(8 * MiB);
    // Opens its end and sleeps: cat fills the pipe and blocks.
    const reader = container('exec 3< "$0"; exec sleep 30', fifo);
    const sink = await openFifoWriter(fifo, { containerExited: reader.exited });
    const stop = new AbortController();
    const copying = copyDirectly(await openHostFileReader(file), sink!, stop.signal);
    await waitFor(() => children().includes('cat'));
    expect(children()).toContain('cat');
    stop.abort(new Error('abandoned by the test'));
    await expect(copying).rejects.toThrow(/Stream stopped: abandoned by the test/);
    expect(children()).not.toContain('cat');
    reader.kill();
    await reader.stdout;
    await expectFdsBackTo(before);
  });

  it('rejects with a StreamError, naming the cause, when cat fails', async () => {
    const fifo = await newFifo();
    const { file } = await newFile(1024);
    const reader = container('cat "$0" > /dev/null', fifo);
    const sink = await openFifoWriter(fifo, { containerExited: reader.exited });
    const source = new PassThrough();
    // A descriptor cat cannot read from.
    const writeOnly = fs.openSync(file, 'a');
    markFileSource(source, writeOnly);
    const error = await copyDirectly(source, sink!).catch((e: unknown) => e);
    fs.closeSync(writeOnly);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toMatch(/cat failed: .*Bad file descriptor/);
    await reader.stdout;
  });
});

describe('LONGSHORE_DIRECT_IO=off (configure({ directIo: false }))', () => {
  afterEach(() => resetConfiguration());

  /** A host file into a FIFO by runConnection, noting every child seen meanwhile but the reader. */
  async function transfer(bytes: number): Promise<{ seen: Set<string>; lines: string[]; same: boolean }> {
    const fifo = await newFifo();
    const { file, sha256 } = await newFile(bytes);
    const reader = container('sha256sum "$0"', fifo);
    const seen = new Set<string>();
    const watch = setInterval(() => children().forEach((name) => seen.add(name)), 1);
    const lines: string[] = [];
    try {
      await runConnection(
        { openSource: () => openHostFileReader(file), describe: () => 'a host file' },
        { openSink: (streamIO) => openFifoWriter(fifo, streamIO), describe: () => 'a FIFO' },
        io(reader.exited),
        lineLogger(lines, 'debug'),
      );
      const same = (await reader.stdout).split(' ')[0] === sha256;
      seen.delete('sh');
      seen.delete('sha256sum');
      return { seen, lines, same };
    } finally {
      clearInterval(watch);
    }
  }

  it('copies through Node: no child starts (no cat, no pipe grower), every byte arrives', async () => {
    configure({ directIo: false });
    const off = await transfer(16 * MiB + 3);
    expect(off.same).toBe(true);
    expect([...off.seen]).toEqual([]);
    expect(off.lines).toHaveLength(1);
    expect(off.lines[0]).toMatch(/DEBUG.*Moved a host file to a FIFO by node/);
    // The path is in the message (the pretty form leaves out a field the message holds).
    expect(off.lines[0]).toMatch(new RegExp(`bytes=${16 * MiB + 3} ms=\\d+$`));

    // The same transfer with the switch back on takes cat: the watch does see children.
    resetConfiguration();
    const on = await transfer(16 * MiB + 3);
    expect(on.same).toBe(true);
    expect(on.seen.has('cat')).toBe(true);
    expect(on.lines[0]).toMatch(/Moved a host file to a FIFO by cat/);
  });

  it('is read from the environment too, and a bad value fails the transfer naming it', async () => {
    const saved = process.env.LONGSHORE_DIRECT_IO;
    try {
      process.env.LONGSHORE_DIRECT_IO = 'no';
      expect([...(await transfer(MiB)).seen]).toEqual([]);
      process.env.LONGSHORE_DIRECT_IO = 'sometimes';
      await expect(transfer(1024)).rejects.toThrow(/Invalid LONGSHORE_DIRECT_IO: "sometimes"/);
    } finally {
      if (saved === undefined) delete process.env.LONGSHORE_DIRECT_IO;
      else process.env.LONGSHORE_DIRECT_IO = saved;
    }
  });
});

// Growing a pipe takes perl (Debian's essential perl-base): the machines we test on have it.

describe('growPipe', () => {
  /** The pipe's size, asked with F_GETPIPE_SZ (1032) by perl. */
  function pipeSize(fd: number): number {
    const result = spawnSync('perl', ['-e', 'open(my $f, "<&=", 3) or die; print fcntl($f, 1032, 0)'], {
      stdio: ['ignore', 'pipe', 'inherit', fd],
    });
    return Number(result.stdout.toString());
  }

  it('grows a FIFO to 1 MiB, and the reader then reads up to 1 MiB at once', async () => {
    const fifo = await newFifo();
    const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    expect(pipeSize(fd)).toBe(64 * 1024);
    expect(await growPipe(fd)).toBe(true);
    expect(pipeSize(fd)).toBe(BIG_PIPE_SIZE);
    fs.closeSync(fd);

    const writer = container(`head -c ${64 * MiB} /dev/zero > "$0"`, fifo);
    const reader = await openFifoReader(fifo, { containerExited: writer.exited });
    let biggest = 0;
    let total = 0;
    reader.on('data', (chunk: Buffer) => {
      biggest = Math.max(biggest, chunk.length);
      total += chunk.length;
    });
    await new Promise((resolve) => reader.once('end', resolve));
    expect(total).toBe(64 * MiB);
    expect(biggest).toBeGreaterThan(64 * 1024);
  });
});

describe('openFifoReader buffers', () => {
  it('copies small reads out rather than pinning a big buffer', async () => {
    const fifo = await newFifo();
    const writer = container('echo "a progress line" > "$0"', fifo);
    const reader = await openFifoReader(fifo, { containerExited: writer.exited });
    const chunks: Buffer[] = [];
    reader.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => reader.once('end', resolve));
    expect(Buffer.concat(chunks).toString()).toBe('a progress line\n');
    for (const chunk of chunks) expect(chunk.buffer.byteLength).toBeLessThanOrEqual(8192);
  });

  it('holds back a slow consumer: bounded buffering, every byte delivered', async () => {
    const fifo = await newFifo();
    const writer = container(`head -c ${32 * MiB} /dev/zero > "$0"`, fifo);
    const reader = await openFifoReader(fifo, { containerExited: writer.exited });
    let total = 0;
    let maxBuffered = 0;
    reader.on('data', (chunk: Buffer) => {
      total += chunk.length;
      maxBuffered = Math.max(maxBuffered, reader.readableLength);
      reader.pause();
      setTimeout(() => reader.resume(), 2);
    });
    await new Promise((resolve) => reader.once('end', resolve));
    expect(total).toBe(32 * MiB);
    expect(maxBuffered).toBeLessThanOrEqual(3 * MiB);
  });
});
