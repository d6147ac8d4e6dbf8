import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import { logTransfer, transferClock } from '../../direct-io/transfer-log.js';
import { GirderTransferError } from '../errors.js';
import type { GirderClient } from '../girder-client.js';
import { sendBody, withRetries } from './send-body.js';
import { FileChunkSender, canSendFile } from './send-file-chunk.js';
import type { UploadBody } from './upload-body.js';
import { parseUploadAnswer, type GirderFileDoc, type GirderUpload } from './upload-documents.js';

export interface ChunkOptions {
  signal?: AbortSignal | undefined;
  /** What is being uploaded, for errors: "upload out.txt to item 5f...". */
  action: string;
  /** Where the transfer's debug line goes (default the process's logger). */
  logger?: Logger | undefined;
}

const offsetSchema = z.looseObject({ offset: z.number().int().nonnegative() });

/**
 * Sends `body` into an upload Girder opened, one request per chunk (`client.chunkSize` bytes,
 * each read from the source as it is sent), starting where the upload stands. A chunk broken by
 * a connection error or a 5xx is sent again from the offset Girder reports (`GET file/offset`),
 * as girder_client does. Returns the file once Girder has every byte.
 */
export async function sendChunks(
  client: GirderClient,
  upload: GirderUpload,
  body: UploadBody,
  options: ChunkOptions,
): Promise<GirderFileDoc> {
  const { signal, action } = options;
  const { hostPath } = body;
  const bySendfile = hostPath !== undefined && (await canSendFile(client));
  const sender = bySendfile ? new FileChunkSender(client, hostPath) : undefined;
  const startedAt = transferClock();
  try {
    const file = await sendEach();
    logTransfer(options.logger, `${body.describe()} to Girder`, {
      path: sender ? 'sendfile' : 'node',
      bytes: upload.size - upload.received,
      startedAt,
    });
    return file;
  } finally {
    sender?.close();
  }

  async function sendEach(): Promise<GirderFileDoc> {
    let offset = upload.received;
    for (;;) {
      const answer = await withRetries(
        client,
        signal,
        async () => {
          const end = Math.min(offset + client.chunkSize, upload.size);
          const query = { offset, uploadId: upload._id };
          const length = end - offset;
          const data = sender
            ? await sender.send<unknown>({ query, start: offset, length, signal, action })
            : await sendBody<unknown>(client, 'POST', 'file/chunk', {
                query,
                body: body.open(offset, end),
                length,
                signal,
                action,
              });
          return { end, answer: parseUploadAnswer(data, { method: 'POST', path: 'file/chunk', action }) };
        },
        async () => {
          offset = await serverOffset(client, upload._id, options);
        },
      );
      if (answer.answer.kind === 'file') return answer.answer.file;
      const received = answer.answer.upload.received;
      if (received !== answer.end) {
        throw new GirderTransferError(
          `Could not ${action}: Girder holds ${received} bytes of the upload after a chunk that ended at byte ${answer.end}`,
        );
      }
      if (received >= upload.size) {
        throw new GirderTransferError(
          `Could not ${action}: Girder received all ${upload.size} bytes but did not finish the file`,
        );
      }
      offset = received;
    }
  }
}

/** Where Girder stands in an upload: the next byte it expects. */
async function serverOffset(client: GirderClient, uploadId: string, options: ChunkOptions): Promise<number> {
  const body = await client.get<unknown>('file/offset', { uploadId }, options);
  const parsed = offsetSchema.safeParse(body);
  if (!parsed.success) {
    throw new GirderTransferError(`Could not ${options.action}: Girder's file/offset answer has no offset`);
  }
  return parsed.data.offset;
}
