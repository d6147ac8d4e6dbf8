import fs from 'node:fs';
import type { Socket } from 'node:net';
import type { FifoSource } from '../../direct-io/direct-copy.js';
import { SocketFeeder } from '../../direct-io/socket-feeder.js';
import { GirderTransferError } from '../errors.js';
import type { GirderClient } from '../girder-client.js';
import { KeptConnection } from '../../direct-io/kept-connection.js';
import { canSendFile } from './send-file-chunk.js';
import { chunkOutcome, parseUploadAnswer, type GirderFileDoc } from './upload-documents.js';
import { GirderUploadError } from './upload-error.js';

export interface SplicedUpload {
  uploadId: string;
  size: number;
  /** Where the upload stands (bytes Girder has). */
  offset: number;
  signal: AbortSignal;
  action: string;
}

/**
 * A known-size upload fed straight from the container's FIFO: each chunk's body is spliced from
 * the pipe into the socket by one feeder child on one kept connection, after whatever Node had
 * read before it let go. Node's client held such a stream to about 0.6 of curl's pace. As on the
 * streamed path, a broken chunk is not sent again (the bytes are gone), and the stream must end
 * exactly at the size announced.
 *
 * Resolves undefined, having touched nothing, where this cannot run (HTTPS, no perl, another
 * arch, a FIFO that could not be taken over); otherwise the file, once Girder has every byte.
 */
export async function spliceUpload(
  client: GirderClient,
  upload: SplicedUpload,
  fifo: FifoSource,
): Promise<GirderFileDoc | undefined> {
  if (!(await canSendFile(client))) return undefined;
  const taken = await fifo.takeOver();
  if (!taken) return undefined;
  const { size, signal, action } = upload;
  const connection = new KeptConnection();
  let feeder: SocketFeeder | undefined;
  let pending = taken.buffered;
  const startFeeder = async (socket: Socket | null): Promise<SocketFeeder> => {
    feeder?.close();
    feeder = await SocketFeeder.start(socket, taken.fd, {
      mode: 'pipe',
      idleTimeoutMs: client.policy.timeoutMs,
    });
    if (fifo.containerExited.aborted) feeder.writerGone();
    return feeder;
  };
  const writerGone = (): void => feeder?.writerGone();
  fifo.containerExited.addEventListener('abort', writerGone, { once: true });
  const tooLong = (): GirderUploadError =>
    new GirderUploadError(`Could not ${action}: the stream is longer than the ${size} bytes announced`);
  let file: GirderFileDoc | undefined;
  try {
    let offset = upload.offset;
    if (pending.length > size - offset) throw tooLong();
    while (offset < size) {
      const end = Math.min(offset + client.chunkSize, size);
      const write = async (socket: Socket): Promise<void> => {
        const head = pending.subarray(0, end - offset);
        pending = pending.subarray(head.length);
        if (head.length > 0) await writeOn(socket, head);
        const rest = end - offset - head.length;
        if (rest === 0) return;
        const feeding = feeder?.socket === socket ? feeder : await startFeeder(socket);
        const sent = await feeding.sendPipe(rest, signal);
        if (sent.outcome === 'ok') return;
        if (sent.outcome === 'eof') {
          throw new GirderUploadError(
            `Could not ${action}: the stream ended after ${offset + head.length + sent.bytes} of the ${size} bytes announced`,
          );
        }
        throw Object.assign(new Error(sent.why ?? 'the connection broke'), { code: 'ECONNRESET' });
      };
      const data = await client.request<unknown>('POST', 'file/chunk', {
        query: { offset, uploadId: upload.uploadId },
        headers: { 'Content-Type': 'application/octet-stream' },
        signal,
        action,
        bodyWriter: { length: end - offset, connection, write },
      });
      const answer = parseUploadAnswer(data.data, { method: 'POST', path: 'file/chunk', action });
      file = chunkOutcome(answer, end, size, action) ?? file;
      offset = end;
    }
    if (!file) throw new GirderTransferError(`Could not ${action}: Girder did not finish the file`);
    // Like the streamed path, the upload is done when the pipe ends, and nothing more came; a
    // longer stream leaves no file behind.
    const watcher = feeder ?? (await startFeeder(null));
    if ((await watcher.expectPipeEnd(signal)).outcome === 'extra') {
      await client.delete(`file/${file._id}`, undefined, { signal, action }).catch(() => undefined);
      throw tooLong();
    }
    return file;
  } finally {
    fifo.containerExited.removeEventListener('abort', writerGone);
    feeder?.close();
    connection.close();
    fs.close(taken.fd, () => undefined);
  }
}

/** Writes bytes of Node's on the socket and waits until the kernel has them. */
function writeOn(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(bytes, (error) =>
      error ? reject(Object.assign(new Error(error.message), { code: 'ECONNRESET' })) : resolve(),
    );
  });
}
