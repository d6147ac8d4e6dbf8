import path from 'node:path';
import type { GirderClient } from '../girder-client.js';
import { checkFileName, checkObjectId } from '../girder-args.js';
import { fileBody } from './upload-body.js';
import { parseFile, type GirderFileDoc } from './upload-documents.js';
import { GirderUploadError } from './upload-error.js';
import { inspectLocalPath } from './local-files.js';
import { guessMimeType } from './mime-type.js';
import { finishUpload, startReplacement, startUpload, type UploadStepOptions } from './start-upload.js';
import type { UploadedFile } from './uploaded-file.js';

export interface UploadFileOptions {
  signal?: AbortSignal | undefined;
  /** The name in Girder; the file's own name by default. */
  name?: string | undefined;
}

/**
 * Uploads one file into an item, as girder_client's `uploadFileToItem`: a file of the same name
 * and size already there is kept (nothing is sent); one of the same name and another size gets
 * its contents replaced; otherwise a new file. The bytes are streamed from disk a chunk at a time.
 */
export async function uploadFileToItem(
  client: GirderClient,
  itemId: string,
  hostPath: string,
  options: UploadFileOptions = {},
): Promise<UploadedFile> {
  checkObjectId('itemId', itemId);
  const name = options.name === undefined ? path.basename(hostPath) : checkFileName('name', options.name);
  const step: UploadStepOptions = { signal: options.signal, action: `upload ${name} to item ${itemId}` };
  const local = await inspectLocalPath(hostPath, step.action);
  if (local.kind !== 'file')
    throw new GirderUploadError(`Could not ${step.action}: ${hostPath} is a directory`);
  const size = local.size;

  const existing = await findFileByName(client, itemId, name, step);
  if (existing && existing.size === size) {
    return { hostPath, fileId: existing._id, name, size, outcome: 'skipped' };
  }
  const answer = existing
    ? await startReplacement(client, existing._id, size, step)
    : await startUpload(
        client,
        { parentType: 'item', parentId: itemId, name, size, mimeType: guessMimeType(name) },
        step,
      );
  const file = await finishUpload(client, answer, fileBody(hostPath, size), step);
  return { hostPath, fileId: file._id, name, size, outcome: existing ? 'replaced' : 'created' };
}

/** The first file of the item with that name (`GET item/{id}/files`, page by page). */
async function findFileByName(
  client: GirderClient,
  itemId: string,
  name: string,
  step: UploadStepOptions,
): Promise<GirderFileDoc | undefined> {
  const path = `item/${itemId}/files`;
  for await (const doc of client.pages<unknown>(path, {}, step)) {
    const file = parseFile(doc, { method: 'GET', path, action: step.action });
    if (file.name === name) return file;
  }
  return undefined;
}
