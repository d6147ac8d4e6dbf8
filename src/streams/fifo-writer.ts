import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { StreamError, messageOf } from '../core/errors.js';
import { markFifoSink } from '../direct-io/direct-copy.js';
import { assertFifo, closeQuietly, errnoCode, openFd, wrapFifoFd } from './fifo-fd.js';
import { growPipe } from '../direct-io/pipe-size.js';

export interface FifoWriterOptions {
  /** Aborted once the container has exited: a writer still waiting for its reader gives up. */
  containerExited: AbortSignal;
  /** Aborted when the task is cancelled. */
  signal?: AbortSignal;
}

const FIRST_RETRY_MS = 1;
const MAX_RETRY_MS = 25;

/**
 * Opens the host side of a FIFO that the container reads, once the container has opened it.
 *
 * A blocking open would hold a threadpool thread until the container opens its end, possibly
 * forever, and a few of those starve every other fs call of the process. A non-blocking open
 * instead fails with ENXIO while there is no reader, so it is retried with a short backoff.
 * Resolves null if the container exits (or the task is cancelled) before it opened the pipe.
 */
export async function openFifoWriter(hostPath: string, options: FifoWriterOptions): Promise<Writable | null> {
  const { containerExited, signal } = options;
  const gaveUp = (): boolean => containerExited.aborted || signal?.aborted === true;
  await assertFifo(hostPath);

  let delayMs = FIRST_RETRY_MS;
  let fd: number | undefined;
  while (fd === undefined) {
    if (gaveUp()) return null;
    try {
      fd = await openFd(hostPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (error) {
      if (errnoCode(error) !== 'ENXIO') {
        throw new StreamError(`Cannot open FIFO ${hostPath} for writing: ${messageOf(error)}`, {
          cause: error,
        });
      }
      await sleep(delayMs, [containerExited, signal]);
      delayMs = Math.min(delayMs * 2, MAX_RETRY_MS);
    }
  }
  // A reader that showed up as the container exited is still a reader: keep it. A cancelled
  // task, though, wants no more data moved.
  if (signal?.aborted) {
    closeQuietly(fd);
    return null;
  }
  // Fewer, bigger writes. Not awaited: the pipe may grow while the first bytes go.
  void growPipe(fd);
  const socket = await wrapFifoFd(fd, hostPath, 'write');
  // A host file can skip Node altogether (see copyDirectly).
  markFifoSink(socket, fd);
  return socket;
}

/** Waits `ms`, or less if any signal aborts; never rejects. */
function sleep(ms: number, signals: readonly (AbortSignal | undefined)[]): Promise<void> {
  return new Promise((resolve) => {
    const live = signals.filter((s): s is AbortSignal => s !== undefined);
    const done = (): void => {
      clearTimeout(timer);
      for (const s of live) s.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of live) s.addEventListener('abort', done, { once: true });
  });
}
