import path from 'node:path';
import type { GirderClient } from '../girder-client.js';
import { checkFileName, checkObjectId } from '../girder-args.js';
import { fileBody } from './upload-body.js';
import { parseUploadAnswer } from './upload-documents.js';
import { GirderUploadError } from './upload-error.js';
import { inspectLocalPath } from './local-files.js';
import { guessMimeType } from './mime-type.js';
import { sendBody, withRetries } from './send-body.js';
import { serverVersion, versionAtLeast } from './server-version.js';
import { finishUpload, startUpload, type UploadStepOptions } from './start-upload.js';
import type { UploadFileOptions } from './upload-file-to-item.js';
import type { UploadedFile } from './uploaded-file.js';

/** girder_client's MAX_CHUNK_SIZE: the largest file it sends in the one request. */
const SINGLE_REQUEST_MAX = 64 * 1024 * 1024;
/** Girder accepts the body with `POST file` since 2.3. */
const SINGLE_REQUEST_SINCE = [2, 3];

/**
 * Uploads one file into a folder, as girder_client's `uploadFileToFolder`: Girder makes an item
 * of the file's name for it. A file of at most one chunk (and 64 MiB) goes in a single
 * `POST file` with its body on Girder 2.3 and later; larger ones, or older servers, get an
 * upload and its chunks. Nothing is compared with what the folder holds (girder_client does not).
 */
export async function uploadFileToFolder(
  client: GirderClient,
  folderId: string,
  hostPath: string,
  options: UploadFileOptions = {},
): Promise<UploadedFile> {
  checkObjectId('folderId', folderId);
  const name = options.name === undefined ? path.basename(hostPath) : checkFileName('name', options.name);
  const step: UploadStepOptions = { signal: options.signal, action: `upload ${name} to folder ${folderId}` };
  const local = await inspectLocalPath(hostPath, step.action);
  if (local.kind !== 'file')
    throw new GirderUploadError(`Could not ${step.action}: ${hostPath} is a directory`);
  const size = local.size;
  const body = fileBody(hostPath, size);
  const query = { parentType: 'folder', parentId: folderId, name, size, mimeType: guessMimeType(name) };

  const single = size <= Math.min(SINGLE_REQUEST_MAX, client.chunkSize);
  const version = single ? await serverVersion(client, step.signal) : null;
  if (version && versionAtLeast(version, SINGLE_REQUEST_SINCE)) {
    // The body is read again from the file for each attempt.
    const answer = await withRetries(client, step.signal, async () =>
      parseUploadAnswer(
        await sendBody<unknown>(client, 'POST', 'file', {
          query,
          body: body.open(0, size),
          length: size,
          signal: step.signal,
          action: step.action,
        }),
        { method: 'POST', path: 'file', action: step.action },
      ),
    );
    // A server that took the upload but not its body still gets the bytes, as chunks.
    const file = await finishUpload(client, answer, body, step);
    return { hostPath, fileId: file._id, name, size, outcome: 'created' };
  }
  const answer = await startUpload(client, { ...query, parentType: 'folder' }, step);
  const file = await finishUpload(client, answer, body, step);
  return { hostPath, fileId: file._id, name, size, outcome: 'created' };
}
