// The upload protocol (girder/models/upload.py with the filesystem assetstore adapter): an upload
// record with a temporary file, chunks appended in order, each checked against the bytes received so
// far, and finalization into a file once `size` bytes are in.
import { renameSync, writeFileSync } from 'node:fs';
import { stat, truncate, unlink, appendFile } from 'node:fs/promises';
import { appendRequestBody } from './body.js';
import type { RequestContext, ServerState } from './context.js';
import { createItem, insertFileRecord, propagateSizeChange } from './data-model.js';
import { ValidationError } from './errors.js';
import { newObjectId } from './ids.js';
import type { FileDoc, FolderDoc, ItemDoc, UploadDoc, UserDoc } from './store.js';

/** Setting core.upload_minimum_chunk_size's default: every chunk but the last must be at least 5 MiB. */
export const UPLOAD_MINIMUM_CHUNK_SIZE = 5 * 1024 * 1024;

function newUpload(
  server: ServerState,
  fields: Omit<UploadDoc, '_id' | 'created' | 'updated' | 'assetstoreId' | 'received' | 'tempFile'>,
): UploadDoc {
  const _id = newObjectId();
  const now = new Date();
  const tempFile = server.storage.tempPath(_id);
  writeFileSync(tempFile, '');
  return server.store.insert('upload', {
    _id,
    created: now,
    updated: now,
    assetstoreId: server.assetstoreId,
    received: 0,
    tempFile,
    ...fields,
  });
}

/** Upload.createUpload: into an item, or into a folder (the item is made when the upload completes). */
export function createUpload(
  server: ServerState,
  a: {
    user: UserDoc;
    name: string;
    parentType: 'folder' | 'item';
    parentId: string;
    size: number;
    mimeType?: string;
    reference?: string;
  },
): UploadDoc {
  if (a.size < 0) throw new ValidationError('File size must not be negative.');
  return newUpload(server, {
    size: a.size,
    name: a.name,
    mimeType: a.mimeType || 'application/octet-stream',
    parentType: a.parentType,
    parentId: a.parentId,
    userId: a.user._id,
    ...(a.reference !== undefined ? { reference: a.reference } : {}),
  });
}

/** Upload.createUploadToFile: new contents for an existing file (PUT file/:id/contents). */
export function createUploadToFile(
  server: ServerState,
  file: FileDoc,
  user: UserDoc,
  size: number,
  reference?: string,
): UploadDoc {
  if (size < 0) throw new ValidationError('File size must not be negative.');
  return newUpload(server, {
    size,
    name: file.name,
    mimeType: file.mimeType ?? 'application/octet-stream',
    userId: user._id,
    fileId: file._id,
    ...(reference !== undefined ? { reference } : {}),
  });
}

/**
 * Upload.handleChunk with the filesystem adapter's uploadChunk. The chunk is the request body, or a
 * string when the undocumented `chunk` parameter is used. Returns the file once the upload is complete.
 */
export async function handleChunk(
  ctx: RequestContext,
  upload: UploadDoc,
  chunk: { body: true } | { text: string },
): Promise<{ upload: UploadDoc } | { file: FileDoc }> {
  const room = upload.size - upload.received;
  let written: number;
  let overflow: boolean;
  if ('text' in chunk) {
    const bytes = Buffer.from(chunk.text, 'utf8');
    overflow = bytes.length > room;
    written = Math.min(bytes.length, Math.max(room, 0));
    await appendFile(upload.tempFile, bytes.subarray(0, written));
  } else {
    ({ written, overflow } = await appendRequestBody(ctx, upload.tempFile, room));
  }
  // AbstractAssetstoreAdapter.checkUploadSize, after the bytes are in; a refused chunk is cut off again.
  const problem = overflow
    ? 'Received too many bytes.'
    : upload.received + written !== upload.size && written < UPLOAD_MINIMUM_CHUNK_SIZE
      ? 'Chunk is smaller than the minimum size.'
      : undefined;
  if (problem) {
    await truncate(upload.tempFile, upload.received);
    throw new ValidationError(problem);
  }
  upload.received += written;
  upload.updated = new Date();
  if (upload.received === upload.size) return { file: finalizeUpload(ctx.server, upload) };
  return { upload };
}

/** Upload.finalizeUpload: moves the bytes into place and creates (or updates) the file record. */
export function finalizeUpload(server: ServerState, upload: UploadDoc): FileDoc {
  const { store, storage } = server;
  let file: FileDoc;
  const existing = upload.fileId ? store.get('file', upload.fileId) : undefined;
  if (existing) {
    renameSync(upload.tempFile, storage.filePath(existing._id));
    const item = existing.itemId ? store.get('item', existing.itemId) : undefined;
    if (item) propagateSizeChange(server, item, upload.size - existing.size);
    existing.creatorId = upload.userId;
    existing.created = new Date();
    existing.assetstoreId = server.assetstoreId;
    existing.size = upload.size;
    file = existing;
  } else {
    let item: ItemDoc | null = null;
    if (upload.parentType === 'folder' && upload.parentId) {
      const folder = store.get('folder', upload.parentId) as FolderDoc;
      // Girder >= 2.3 one-shot folder uploads: an item named after the file, renamed if the name is taken.
      item = createItem(server, { folder, name: upload.name, creatorId: upload.userId });
    } else if (upload.parentType === 'item' && upload.parentId) {
      item = store.get('item', upload.parentId) ?? null;
    }
    const _id = newObjectId();
    renameSync(upload.tempFile, storage.filePath(_id));
    file = insertFileRecord(server, {
      _id,
      item,
      name: upload.name,
      size: upload.size,
      creatorId: upload.userId,
      mimeType: upload.mimeType,
    });
  }
  store.remove('upload', upload._id);
  return file;
}

/** The filesystem adapter's requestOffset: the size of the temporary file, whatever `received` says. */
export async function requestOffset(upload: UploadDoc): Promise<number> {
  return (await stat(upload.tempFile)).size;
}

export async function cancelUpload(server: ServerState, upload: UploadDoc): Promise<void> {
  await unlink(upload.tempFile).catch(() => {});
  server.store.remove('upload', upload._id);
}

/** What an upload record looks like on the wire: the raw document (Girder does not filter it). */
export function uploadView(upload: UploadDoc): Record<string, unknown> {
  return { ...upload };
}
