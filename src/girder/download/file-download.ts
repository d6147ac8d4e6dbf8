import { Readable } from 'node:stream';
import { backoffDelay, sleep } from '../../backoff.js';
import { GirderHttpError, GirderTransferError } from '../errors.js';
import type { GirderClient } from '../girder-client.js';
import type { GirderFile } from '../documents.js';
import { isRetryable } from '../http/girder-http.js';

export interface FileDownloadOptions {
  signal?: AbortSignal | undefined;
  /** Resumptions allowed after the connection drops (default: the client's retries). */
  resumes?: number | undefined;
}

/**
 * The bytes of a Girder file (`GET file/{id}/download`), as a stream. If the connection drops,
 * the download resumes with a `Range` request from the last byte received (Girder Worker starts
 * over or fails); the stream ends only once exactly `file.size` bytes have arrived.
 */
export function openFileDownload(
  client: GirderClient,
  file: Pick<GirderFile, '_id' | 'name' | 'size'>,
  options: FileDownloadOptions = {},
): Readable {
  const maxResumes = options.resumes ?? client.policy.retries;
  const path = `file/${file._id}/download`;
  const action = `download file ${file._id} (${file.name})`;

  async function* bytes(): AsyncGenerator<Buffer> {
    let received = 0;
    for (let resumes = 0; ;) {
      let dropped: unknown;
      try {
        const response = await client.request<Readable>('GET', path, {
          responseType: 'stream',
          signal: options.signal,
          action,
          headers: received > 0 ? { Range: `bytes=${received}-` } : undefined,
        });
        if (received > 0 && response.status !== 206) {
          response.data.destroy();
          throw new GirderTransferError(
            `Could not ${action}: the server ignored the Range request to resume at byte ${received}`,
          );
        }
        try {
          for await (const chunk of response.data as AsyncIterable<Buffer>) {
            received += chunk.length;
            if (received > file.size) {
              throw new GirderTransferError(`Could not ${action}: more than its ${file.size} bytes arrived`);
            }
            yield chunk;
          }
        } catch (error) {
          if (error instanceof GirderTransferError) throw error;
          dropped = error;
        } finally {
          response.data.destroy();
        }
      } catch (error) {
        if (!(error instanceof GirderHttpError && isRetryable(error))) throw error;
        dropped = error;
      }
      if (received === file.size) return;
      options.signal?.throwIfAborted();
      if (resumes >= maxResumes) {
        throw new GirderTransferError(
          `Could not ${action}: the connection dropped at byte ${received} of ${file.size}, ${resumes} time(s) resumed`,
          { cause: dropped },
        );
      }
      resumes += 1;
      await sleep(
        backoffDelay(resumes, { initialMs: client.policy.retryDelayMs, maxMs: 5000 }),
        options.signal,
      );
    }
  }

  // A large highWaterMark: fewer wake-ups per GiB on the way into a FIFO.
  return Readable.from(bytes(), { objectMode: false, highWaterMark: 1024 * 1024 });
}
