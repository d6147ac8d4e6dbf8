import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { StreamError, messageOf } from '../core/errors.js';
import { runCopier } from './copier-child.js';
import { directIoAllowed } from './direct-io-setting.js';
import { findProgram } from './find-program.js';
import type { TransferPath } from './transfer-log.js';

const fstat = promisify(fs.fstat);

/** The FIFO a direct copy writes: its descriptor, and the stream that owns it. */
export interface FifoTarget {
  fd: number;
  stream: Writable;
}

/**
 * How a direct copy went: `endedEarly` when the container closed its end first; the path its
 * bytes took (part of them may have gone through Node, when a child could not take them all)
 * and how many there were, when that is known.
 */
export interface DirectCopyResult {
  endedEarly: boolean;
  path: TransferPath;
  bytes?: number | undefined;
}

/**
 * Copies a source's bytes into a FIFO without passing them through Node's streams. Resolves
 * undefined, having touched nothing, when it cannot (the caller then pumps in-process).
 */
export type DirectCopy = (
  fifo: FifoTarget,
  signal: AbortSignal | undefined,
) => Promise<DirectCopyResult | undefined>;

/** A FIFO the container writes, whose reading Node can hand over. */
export interface FifoSource {
  containerExited: AbortSignal;
  /**
   * Stops Node's reading and gives a descriptor of the FIFO, with the bytes Node had read that
   * nobody took yet; undefined, reading on, when it cannot. The descriptor is the caller's to close.
   */
  takeOver(): Promise<{ fd: number; buffered: Buffer } | undefined>;
}

/**
 * Takes a FIFO's bytes to their destination without Node's streams. Resolves undefined, having
 * touched nothing, when it cannot (the caller then pumps in-process).
 */
export type DirectSinkCopy = (
  fifo: FifoSource,
  signal: AbortSignal | undefined,
) => Promise<DirectCopyResult | undefined>;

/** Streams whose bytes need not pass through Node: a source that can copy itself, a FIFO to write. */
const directSources = new WeakMap<Readable, DirectCopy>();
const fifoSinks = new WeakMap<Writable, number>();
/** And the other way: a sink that can take a FIFO's bytes itself, a FIFO to read. */
const directSinks = new WeakMap<Writable, DirectSinkCopy>();
const fifoSources = new WeakMap<Readable, FifoSource>();

/** `stream`, as long as nothing has written to it, can take a FIFO's bytes by `copy` instead. */
export function markDirectSink(stream: Writable, copy: DirectSinkCopy): void {
  directSinks.set(stream, copy);
}

/** `stream` reads a FIFO that the container writes, and can hand it over (see FifoSource). */
export function markFifoSource(stream: Readable, fifo: FifoSource): void {
  fifoSources.set(stream, fifo);
}

/** `stream`, as long as nothing has read it, can be copied into a FIFO by `copy` instead. */
export function markDirectSource(stream: Readable, copy: DirectCopy): void {
  directSources.set(stream, copy);
}

/** `stream` reads the file open as `fd`, from its start, and has not read yet: `cat` copies it. */
export function markFileSource(stream: Readable, fd: number): void {
  markDirectSource(stream, (fifo, signal) => catFile(fd, fifo.fd, signal));
}

/** `stream` writes the FIFO open as `fd`, whose reader (the container) is there. */
export function markFifoSink(stream: Writable, fd: number): void {
  fifoSinks.set(stream, fd);
}

/**
 * Copies `source` into `sink` by the source's own direct copy (see markDirectSource) when the
 * sink is a FIFO and nothing has read the source yet, or by the sink's (see markDirectSink) when
 * the source is a FIFO and nothing was written to the sink yet. Resolves undefined, touching nothing, when
 * this pair cannot, or direct I/O is off (see directIoAllowed): the caller then pumps
 * in-process. Otherwise both streams are destroyed once the copy is over, and it resolves like
 * `pump`, `endedEarly` when the container closed its end first; a failing copy rejects with a
 * StreamError.
 */
export async function copyDirectly(
  source: Readable,
  sink: Writable,
  signal?: AbortSignal,
): Promise<DirectCopyResult | undefined> {
  if (!directIoAllowed()) return undefined;
  const sinkCopy = directSinks.get(sink);
  const fifoSource = fifoSources.get(source);
  if (sinkCopy && fifoSource) {
    const untouched = !source.destroyed && !source.readableDidRead && sink.writableLength === 0;
    if (!untouched || sink.destroyed || signal?.aborted) return undefined;
    return runCopy(source, sink, () => sinkCopy(fifoSource, signal));
  }
  const copy = directSources.get(source);
  const fifoFd = fifoSinks.get(sink);
  if (copy === undefined || fifoFd === undefined) return undefined;
  const untouched = !source.destroyed && !source.readableDidRead && source.readableLength === 0;
  if (!untouched || sink.destroyed || signal?.aborted) return undefined;
  return runCopy(source, sink, () => copy({ fd: fifoFd, stream: sink }, signal));
}

/** Runs a direct copy; both streams are destroyed once it has run, not when it could not. */
async function runCopy(
  source: Readable,
  sink: Writable,
  copy: () => Promise<DirectCopyResult | undefined>,
): Promise<DirectCopyResult | undefined> {
  // The copy learns of failures through its own calls; an 'error' event must not go unheard.
  source.on('error', ignore);
  sink.on('error', ignore);
  let result: DirectCopyResult | undefined;
  try {
    result = await copy();
  } catch (error) {
    destroyBoth(source, sink);
    throw error instanceof StreamError
      ? error
      : new StreamError(`Direct copy failed: ${messageOf(error)}`, { cause: error });
  }
  if (result) destroyBoth(source, sink);
  else {
    source.off('error', ignore);
    sink.off('error', ignore);
  }
  return result;
}

function ignore(): void {}

function destroyBoth(source: Readable, sink: Writable): void {
  for (const stream of [source, sink]) {
    stream.on('error', ignore);
    stream.destroy();
  }
}

/**
 * Copies the host file open as `fileFd` into the FIFO with a `cat` child whose stdin is the file
 * and stdout the FIFO, so that no byte crosses Node's event loop: the copy runs at the speed of
 * a shell's `cat file > fifo`. Resolves undefined when there is no `cat`.
 */
async function catFile(
  fileFd: number,
  fifoFd: number,
  signal: AbortSignal | undefined,
): Promise<DirectCopyResult | undefined> {
  const cat = await findProgram('cat');
  if (!cat) return undefined;
  const exit = await runCopier(cat, [], [fileFd, fifoFd, 'pipe'], signal);
  // The file was read from its start: all of it went.
  if (exit.code === 0) return { endedEarly: false, path: 'cat', bytes: await sizeOf(fileFd) };
  if (exit.signal === 'SIGPIPE' || /broken pipe/i.test(exit.stderr)) return { endedEarly: true, path: 'cat' };
  const why = exit.stderr.trim() || (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`);
  throw new StreamError(`cat failed: ${why}`);
}

async function sizeOf(fd: number): Promise<number | undefined> {
  try {
    return (await fstat(fd)).size;
  } catch {
    return undefined;
  }
}
