import { rm } from 'node:fs/promises';
import type { GirderClient } from '../girder-client.js';
import { checkObjectId } from '../girder-args.js';
import { inspectLocalPath, listLocalDir, type Warn } from './local-files.js';
import { uploadFileToItem } from './upload-file-to-item.js';
import type { UploadedFile } from './uploaded-file.js';

export interface UploadPathOptions {
  /** Remove the path (the whole directory) once everything is uploaded. */
  deleteFile?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Where to say what is left out (symbolic links); the task's warnings in hooks. */
  warn?: Warn | undefined;
}

/**
 * Uploads a file, or the regular files directly inside a directory (not its sub-directories),
 * into an item, as Girder Worker's `GirderUploadToItem`. Each file follows `uploadFileToItem`'s
 * rules (same name and size: kept; other size: replaced).
 */
export async function uploadPathToItem(
  client: GirderClient,
  itemId: string,
  hostPath: string,
  options: UploadPathOptions = {},
): Promise<UploadedFile[]> {
  checkObjectId('itemId', itemId);
  const { signal } = options;
  const local = await inspectLocalPath(hostPath, `upload ${hostPath} to item ${itemId}`);
  const uploaded: UploadedFile[] = [];
  if (local.kind === 'file') {
    uploaded.push(await uploadFileToItem(client, itemId, hostPath, { signal }));
  } else {
    for (const entry of await listLocalDir(hostPath, options.warn ?? ignore)) {
      signal?.throwIfAborted();
      if (entry.kind === 'file')
        uploaded.push(await uploadFileToItem(client, itemId, entry.hostPath, { signal }));
    }
  }
  if (options.deleteFile) await rm(hostPath, { recursive: true, force: true });
  return uploaded;
}

function ignore(): void {}
