import { rm } from 'node:fs/promises';
import type { GirderClient } from '../girder-client.js';
import { checkObjectId } from '../girder-args.js';
import { parseFolder } from './upload-documents.js';
import { inspectLocalPath, listLocalDir, type Warn } from './local-files.js';
import { uploadFileToFolder } from './upload-file-to-folder.js';
import type { UploadPathOptions } from './upload-path-to-item.js';
import type { UploadedFile } from './uploaded-file.js';

/**
 * Uploads a file into a folder, or a directory's contents into it recursively, as Girder
 * Worker's `GirderUploadToFolder`: each sub-directory becomes a sub-folder of the same name
 * (an existing one is reused), each file a new item. Symbolic links are not followed.
 */
export async function uploadPathToFolder(
  client: GirderClient,
  folderId: string,
  hostPath: string,
  options: UploadPathOptions = {},
): Promise<UploadedFile[]> {
  checkObjectId('folderId', folderId);
  const local = await inspectLocalPath(hostPath, `upload ${hostPath} to folder ${folderId}`);
  const uploaded: UploadedFile[] = [];
  if (local.kind === 'file') {
    uploaded.push(await uploadFileToFolder(client, folderId, hostPath, { signal: options.signal }));
  } else {
    await uploadDirectory(client, folderId, hostPath, uploaded, options.warn ?? ignore, options.signal);
  }
  if (options.deleteFile) await rm(hostPath, { recursive: true, force: true });
  return uploaded;
}

async function uploadDirectory(
  client: GirderClient,
  folderId: string,
  dir: string,
  uploaded: UploadedFile[],
  warn: Warn,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (const entry of await listLocalDir(dir, warn)) {
    signal?.throwIfAborted();
    if (entry.kind === 'file') {
      uploaded.push(await uploadFileToFolder(client, folderId, entry.hostPath, { signal }));
    } else {
      const sub = await createFolder(client, folderId, entry.name, signal);
      await uploadDirectory(client, sub, entry.hostPath, uploaded, warn, signal);
    }
  }
}

/** `POST folder?...&reuseExisting=true`: the sub-folder of that name, made if missing. Its id. */
export async function createFolder(
  client: GirderClient,
  parentId: string,
  name: string,
  signal?: AbortSignal,
): Promise<string> {
  const action = `create folder ${name} in folder ${parentId}`;
  const body = await client.post<unknown>(
    'folder',
    { parentType: 'folder', parentId, name, description: '', reuseExisting: true },
    { signal, action },
  );
  return parseFolder(body, { method: 'POST', path: 'folder', action })._id;
}

function ignore(): void {}
