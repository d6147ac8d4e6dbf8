import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { StreamError, messageOf } from '../errors.js';
import { assertFifo, closeQuietly, openFd, wrapFifoFd } from './fifo-fd.js';

export interface FifoReaderOptions {
  /** Aborted once the container has exited: from then on the reader ends after draining the pipe. */
  containerExited: AbortSignal;
}

/**
 * Opens the host side of a FIFO that the container writes.
 *
 * The open is non-blocking, so it succeeds at once even if the container never opens its end.
 * On Linux such a reader sees no EOF until some writer has opened and closed the pipe, which
 * would leave it waiting forever if the container never touched it. So once the container has
 * exited we open the write end ourselves and close it at once: the reader then drains whatever
 * is buffered and reaches EOF, and no byte is lost.
 */
export async function openFifoReader(hostPath: string, options: FifoReaderOptions): Promise<Readable> {
  const { containerExited } = options;
  await assertFifo(hostPath);
  let fd: number;
  try {
    fd = await openFd(hostPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    throw new StreamError(`Cannot open FIFO ${hostPath} for reading: ${messageOf(error)}`, { cause: error });
  }
  const socket = await wrapFifoFd(fd, hostPath, 'read');

  const releaseReader = (): void => {
    if (socket.destroyed) return;
    // ENXIO here only means our reader is already gone, which is what we wanted anyway.
    fs.open(hostPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK, (error, writeFd) => {
      if (!error) closeQuietly(writeFd);
    });
  };
  if (containerExited.aborted) {
    releaseReader();
  } else {
    containerExited.addEventListener('abort', releaseReader, { once: true });
    socket.once('close', () => containerExited.removeEventListener('abort', releaseReader));
  }
  return socket;
}
