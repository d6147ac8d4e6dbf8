import { createWriteStream } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GirderTransferError } from '../errors.js';
import type { GirderClient } from '../girder-client.js';
import {
  getDocument,
  girderFileSchema,
  girderFolderSchema,
  girderItemSchema,
  listDocuments,
  type GirderFile,
} from '../documents.js';
import { logTransfer, transferClock } from '../../direct-io/transfer-log.js';
import { openFileDownload } from './file-download.js';

/** Girder Worker's permissions for what it downloads: readable by a container's other users. */
const FILE_MODE = 0o644;
const DIR_MODE = 0o777;

export interface DownloadOptions {
  signal?: AbortSignal | undefined;
}

export async function getFile(
  client: GirderClient,
  fileId: string,
  options: DownloadOptions = {},
): Promise<GirderFile> {
  return getDocument(client, girderFileSchema, `file/${fileId}`, {
    signal: options.signal,
    action: `read file ${fileId}`,
  });
}

/** Streams a file to `dest` (never through memory) and checks its size on disk. */
export async function downloadFileTo(
  client: GirderClient,
  file: GirderFile,
  dest: string,
  options: DownloadOptions = {},
): Promise<void> {
  const startedAt = transferClock();
  // 1 MiB writes: a 1 GiB input lands at disk speed without many small syscalls.
  await pipeline(
    openFileDownload(client, file, { signal: options.signal }),
    createWriteStream(dest, { mode: FILE_MODE, highWaterMark: 1024 * 1024 }),
    { signal: options.signal },
  );
  await chmod(dest, FILE_MODE);
  const written = (await stat(dest)).size;
  if (written !== file.size) {
    throw new GirderTransferError(
      `Could not download file ${file._id} (${file.name}): ${written} bytes written, ${file.size} expected`,
    );
  }
  // Into a file, not a FIFO: no child can take these bytes.
  logTransfer(undefined, `file ${file._id} to ${dest}`, { path: 'node', bytes: written, startedAt });
}

/**
 * girder_client's `downloadItem(itemId, dest)`, which Girder Worker uses: an item holding one
 * file named like the item becomes that file in `dest`; any other item becomes a directory named
 * after it, holding its files. Returns the path made.
 */
export async function downloadItemTo(
  client: GirderClient,
  itemId: string,
  dest: string,
  options: DownloadOptions & { itemName?: string } = {},
): Promise<string> {
  const action = `download item ${itemId}`;
  const name =
    options.itemName ??
    (await getDocument(client, girderItemSchema, `item/${itemId}`, { signal: options.signal, action })).name;
  const files = await listDocuments(
    client,
    girderFileSchema,
    `item/${itemId}/files`,
    {},
    {
      signal: options.signal,
      action,
    },
  );
  const single = files.length === 1 && files[0]?.name === name ? files[0] : undefined;
  if (single) {
    const target = childPath(dest, single.name, action);
    await downloadFileTo(client, single, target, options);
    return target;
  }
  const dir = childPath(dest, name, action);
  await makeDir(dir);
  for (const file of files) await downloadFileTo(client, file, childPath(dir, file.name, action), options);
  return dir;
}

/**
 * girder_client's `downloadFolderRecursive(folderId, dest)`: the folder's items (each as
 * `downloadItemTo` makes it) and, recursively, its sub-folders, into `dest`.
 */
export async function downloadFolderTo(
  client: GirderClient,
  folderId: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<void> {
  const action = `download folder ${folderId}`;
  await makeDir(dest);
  const items = await listDocuments(
    client,
    girderItemSchema,
    'item',
    { folderId },
    { signal: options.signal, action },
  );
  for (const item of items) await downloadItemTo(client, item._id, dest, { ...options, itemName: item.name });
  const folders = await listDocuments(
    client,
    girderFolderSchema,
    'folder',
    { parentType: 'folder', parentId: folderId },
    { signal: options.signal, action },
  );
  for (const folder of folders) {
    await downloadFolderTo(client, folder._id, childPath(dest, folder.name, action), options);
  }
}

export async function getFolderName(
  client: GirderClient,
  folderId: string,
  options: DownloadOptions = {},
): Promise<string> {
  const folder = await getDocument(client, girderFolderSchema, `folder/${folderId}`, {
    signal: options.signal,
    action: `read folder ${folderId}`,
  });
  return folder.name;
}

/** A name from Girder as one path component: never a way out of the directory it lands in. */
export function childPath(dir: string, name: string, action: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new GirderTransferError(
      `Could not ${action}: Girder named an entry ${JSON.stringify(name)}, which is no file name`,
    );
  }
  return path.join(dir, name);
}

export async function makeDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  await chmod(dir, DIR_MODE);
}
