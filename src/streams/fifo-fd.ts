import fs from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { StreamError, messageOf } from '../core/errors.js';

export const openFd = promisify(fs.open);
const fstat = promisify(fs.fstat);

/** Errors from fs calls carry a `code` such as ENXIO or ENOENT. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Rejects anything but a FIFO: a regular file would make net.Socket throw, a directory worse. */
export async function assertFifo(hostPath: string): Promise<void> {
  let stats: fs.Stats;
  try {
    stats = await fs.promises.stat(hostPath);
  } catch (error) {
    throw new StreamError(`Cannot open FIFO ${hostPath}: ${messageOf(error)}`, { cause: error });
  }
  if (!stats.isFIFO()) throw new StreamError(`${hostPath} is not a FIFO`);
}

export function closeQuietly(fd: number): void {
  fs.close(fd, () => undefined);
}

/**
 * Hands an open FIFO descriptor to libuv as a pipe stream, so reads and writes go through epoll
 * and never occupy the threadpool. The path is checked again on the descriptor itself because it
 * could have been replaced between the stat and the open. On failure the descriptor is closed.
 */
export async function wrapFifoFd(
  fd: number,
  hostPath: string,
  direction: 'read' | 'write',
  onread?: net.OnReadOpts,
): Promise<net.Socket> {
  try {
    const stats = await fstat(fd);
    if (!stats.isFIFO()) throw new StreamError(`${hostPath} is not a FIFO`);
    // `onread` is a constructor option; Node 20's docs and @types/node list it under connect().
    const options = { fd, readable: direction === 'read', writable: direction === 'write', onread };
    return new net.Socket(options);
  } catch (error) {
    closeQuietly(fd);
    if (error instanceof StreamError) throw error;
    throw new StreamError(`Cannot open FIFO ${hostPath}: ${messageOf(error)}`, { cause: error });
  }
}
