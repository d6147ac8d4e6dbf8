import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { messageOf } from '../../core/errors.js';
import { GirderUploadError } from './upload-error.js';

export type LocalKind = 'file' | 'directory';

export interface LocalEntry {
  name: string;
  hostPath: string;
  kind: LocalKind;
  /** Bytes, for a file. */
  size: number;
}

/** Reports what an upload leaves out (a symbolic link), in one line each. */
export type Warn = (message: string) => void;

/**
 * What is at `hostPath`: a regular file or a directory. Symbolic links are never followed: the
 * container that wrote the directory could point one at any file of this host, which would then
 * be uploaded. FIFOs, sockets and devices are not uploadable either.
 */
export async function inspectLocalPath(hostPath: string, action: string): Promise<LocalEntry> {
  let stats;
  try {
    stats = await lstat(hostPath);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new GirderUploadError(
      `Could not ${action}: ${missing ? `${hostPath} does not exist` : messageOf(error)}`,
      { cause: error },
    );
  }
  const name = path.basename(hostPath);
  if (stats.isFile()) return { name, hostPath, kind: 'file', size: stats.size };
  if (stats.isDirectory()) return { name, hostPath, kind: 'directory', size: 0 };
  const what = stats.isSymbolicLink() ? 'a symbolic link (never followed)' : 'not a regular file';
  throw new GirderUploadError(`Could not ${action}: ${hostPath} is ${what}`);
}

/**
 * The regular files and sub-directories of `dir`, by name. Symbolic links are left out with a
 * warning (Girder Worker would follow one to a file); FIFOs and the like are left out silently,
 * as Girder Worker does (the task's own pipes live in its temporary volume).
 */
export async function listLocalDir(dir: string, warn: Warn): Promise<LocalEntry[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: LocalEntry[] = [];
  for (const entry of entries) {
    const hostPath = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      warn(`Not uploaded: ${hostPath} is a symbolic link (never followed)`);
    } else if (entry.isDirectory()) {
      out.push({ name: entry.name, hostPath, kind: 'directory', size: 0 });
    } else if (entry.isFile()) {
      out.push({ name: entry.name, hostPath, kind: 'file', size: (await lstat(hostPath)).size });
    }
  }
  return out;
}
