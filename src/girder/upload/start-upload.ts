import { GirderHttpError } from '../errors.js';
import type { GirderClient } from '../girder-client.js';
import type { UploadBody } from './upload-body.js';
import { parseUploadAnswer, type GirderFileDoc, type UploadAnswer } from './upload-documents.js';
import { sendChunks } from './send-chunks.js';

export interface NewFile {
  parentType: 'item' | 'folder';
  parentId: string;
  name: string;
  size: number;
  mimeType?: string | undefined;
}

export interface UploadStepOptions {
  signal?: AbortSignal | undefined;
  action: string;
}

/**
 * `POST file` with no body: Girder opens an upload of `size` bytes and answers the upload, or
 * the finished file at once when the size is 0. A parent folder gets a new item of that name.
 */
export async function startUpload(
  client: GirderClient,
  file: NewFile,
  options: UploadStepOptions,
): Promise<UploadAnswer> {
  const { parentType, parentId, name, size, mimeType } = file;
  const body = await client.post<unknown>('file', { parentType, parentId, name, size, mimeType }, options);
  return parseUploadAnswer(body, { method: 'POST', path: 'file', action: options.action });
}

/** `PUT file/{id}/contents?size=`: an upload that replaces an existing file's contents. */
export async function startReplacement(
  client: GirderClient,
  fileId: string,
  size: number,
  options: UploadStepOptions,
): Promise<UploadAnswer> {
  const path = `file/${fileId}/contents`;
  const body = await client.put<unknown>(path, { size }, options);
  return parseUploadAnswer(body, { method: 'PUT', path, action: options.action });
}

/**
 * Sends what an opened upload still lacks; a finished file (0 bytes) needs nothing. An upload
 * that fails is dropped from the server, unless the server is out of reach.
 */
export async function finishUpload(
  client: GirderClient,
  answer: UploadAnswer,
  body: UploadBody,
  options: UploadStepOptions,
): Promise<GirderFileDoc> {
  if (answer.kind === 'file') return answer.file;
  try {
    return await sendChunks(client, answer.upload, body, options);
  } catch (error) {
    if (reachable(error)) await abandonUpload(client, answer.upload._id);
    throw error;
  }
}

/** False when Girder did not answer at all: asking it to drop the upload would only wait again. */
export function reachable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof GirderHttpError && e.status === null) return false;
  }
  return true;
}

/**
 * Best effort: drops an upload that will never finish (`DELETE file/upload/{id}`), so that a
 * failed task leaves no partial upload on the server. Its own failure is not reported.
 */
export async function abandonUpload(client: GirderClient, uploadId: string): Promise<void> {
  try {
    await client.delete(`file/upload/${uploadId}`, undefined, { action: 'cancel an unfinished upload' });
  } catch {
    // The server may have dropped it already; the task's own error is what matters.
  }
}
