import { Readable } from 'node:stream';
import { markDirectSource } from '../../direct-io/direct-copy.js';
import type { GirderFile } from '../documents.js';
import type { GirderClient } from '../girder-client.js';
import { downloadedBytes } from './downloaded-bytes.js';
import { Resumption, type ResumptionOptions } from './resumption.js';
import { curlDownload } from './curl-download.js';
import { spliceDownload } from './spliced-download.js';

export type FileDownloadOptions = ResumptionOptions;

/**
 * The bytes of a Girder file (`GET file/{id}/download`), as a stream. If the connection drops,
 * the download resumes with a `Range` request from the last byte received (Girder Worker starts
 * over or fails); the stream ends only once exactly `file.size` bytes have arrived.
 *
 * Into a FIFO the bytes skip Node altogether: spliced over plain HTTP (spliceDownload), by a curl
 * child over HTTPS (curlDownload).
 */
export function openFileDownload(
  client: GirderClient,
  file: Pick<GirderFile, '_id' | 'name' | 'size'>,
  options: FileDownloadOptions = {},
): Readable {
  const resumption = new Resumption(client, file, options);
  // A large highWaterMark: fewer wake-ups per GiB on the way into a FIFO.
  const stream = Readable.from(downloadedBytes(resumption), {
    objectMode: false,
    highWaterMark: 1024 * 1024,
  });
  if (client.rawSocketReaches(client.apiUrl)) {
    markDirectSource(stream, (fifo, signal) => spliceDownload(resumption, fifo, signal));
  } else if (client.curlReaches(client.apiUrl)) {
    markDirectSource(stream, (fifo, signal) => curlDownload(resumption, fifo, signal));
  }
  return stream;
}
