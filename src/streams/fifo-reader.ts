import fs from 'node:fs';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
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
 *
 * A container may open its end several times (a shell's `echo ... > "$pipe"` per progress
 * line does): an EOF while the container still runs only means "this writer is done", so the
 * reader opens the FIFO again and the bytes of every session arrive as one stream. Without
 * that, the container's next open would block forever for want of a reader.
 */
export async function openFifoReader(hostPath: string, options: FifoReaderOptions): Promise<Readable> {
  const { containerExited } = options;
  await assertFifo(hostPath);
  const output = new PassThrough({ highWaterMark: 1 << 20 });
  let current: Socket | undefined;

  const releaseReader = (): void => {
    // ENXIO here only means no reader is open any more, which is what we wanted anyway.
    fs.open(hostPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK, (error, writeFd) => {
      if (!error) closeQuietly(writeFd);
    });
  };

  const openSession = async (): Promise<void> => {
    let fd: number;
    try {
      fd = await openFd(hostPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (error) {
      throw new StreamError(`Cannot open FIFO ${hostPath} for reading: ${messageOf(error)}`, {
        cause: error,
      });
    }
    const socket = await wrapFifoFd(fd, hostPath, 'read');
    current = socket;
    socket.pipe(output, { end: false });
    socket.once('error', (error) => output.destroy(error));
    socket.once('end', () => {
      socket.destroy();
      if (output.destroyed) return;
      if (containerExited.aborted) {
        output.end();
        return;
      }
      openSession().catch((error: unknown) => output.destroy(error as Error));
    });
    // The container may have exited while this session was opening: release it too.
    if (containerExited.aborted) releaseReader();
  };

  await openSession();
  containerExited.addEventListener('abort', releaseReader, { once: true });
  output.once('close', () => {
    containerExited.removeEventListener('abort', releaseReader);
    current?.destroy();
  });
  return output;
}
