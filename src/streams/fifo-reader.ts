import fs from 'node:fs';
import type { OnReadOpts, Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { StreamError, messageOf } from '../core/errors.js';
import { markFifoSource } from '../direct-io/direct-copy.js';
import { assertFifo, closeQuietly, openFd, wrapFifoFd } from './fifo-fd.js';
import { BIG_PIPE_SIZE, DEFAULT_PIPE_SIZE, growPipe } from '../direct-io/pipe-size.js';

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
  const output = new PassThrough({ highWaterMark: BIG_PIPE_SIZE });
  let current: Socket | undefined;
  /** Set once a direct copy took the FIFO over: no session reads any more. */
  let handedOver = false;
  // Reading stops when `output` is full (an onread callback returned false); this restarts it.
  output.on('drain', () => current?.resume());

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
    const chunks = new ChunkReader(fd, (chunk) => !output.destroyed && output.write(chunk));
    const socket = await wrapFifoFd(fd, hostPath, 'read', chunks);
    // Taken over while this session was opening: its first read is still to come, so nothing is lost.
    if (handedOver) {
      socket.destroy();
      return;
    }
    current = socket;
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
  markFifoSource(output, {
    containerExited,
    async takeOver() {
      // An onread socket stops reading at once when paused.
      current?.pause();
      let fd: number;
      try {
        fd = await openFd(hostPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      } catch {
        current?.resume();
        return undefined;
      }
      handedOver = true;
      const parts: Buffer[] = [];
      for (let chunk: Buffer | null; (chunk = output.read() as Buffer | null) !== null;) parts.push(chunk);
      output.destroy();
      return { fd, buffered: Buffer.concat(parts) };
    },
  });
  output.once('close', () => {
    containerExited.removeEventListener('abort', releaseReader);
    current?.destroy();
  });
  return output;
}

/**
 * Reads a session's bytes straight into buffers of ours (net.Socket's `onread`), as big as the
 * pipe: a libuv read is otherwise capped at 64 KiB, which would waste a grown pipe. Once a read
 * fills the default 64 KiB pipe, the writer is a bulk one and the pipe is grown to 1 MiB (see
 * growPipe). A mostly full buffer is handed on as is; a small read (a progress line) is copied
 * out, so that it does not pin a large buffer.
 */
class ChunkReader implements OnReadOpts {
  #size = DEFAULT_PIPE_SIZE;
  #buffer = Buffer.allocUnsafe(this.#size);
  #grown = false;

  constructor(
    private readonly fd: number,
    private readonly push: (chunk: Buffer) => boolean,
  ) {}

  buffer = (): Buffer => this.#buffer;

  callback = (bytes: number): boolean => {
    if (!this.#grown && bytes >= DEFAULT_PIPE_SIZE) {
      this.#grown = true;
      void growPipe(this.fd).then((grown) => {
        if (grown) this.#size = BIG_PIPE_SIZE;
      });
    }
    if (bytes > this.#buffer.length / 2) {
      const chunk = this.#buffer.subarray(0, bytes);
      this.#buffer = Buffer.allocUnsafe(this.#size);
      return this.push(chunk);
    }
    return this.push(Buffer.from(this.#buffer.subarray(0, bytes)));
  };
}
