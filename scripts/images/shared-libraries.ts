// The shared libraries a dynamically linked host binary needs, found with ldd (the host's own
// loader resolves them), so that an image can carry the binary without a distribution under it.
import { execFileSync } from 'node:child_process';
import { hostFile, type RootfsEntry } from './rootfs.js';

export interface SharedLibraries {
  /** soname → host path, e.g. libc.so.6 → /lib/x86_64-linux-gnu/libc.so.6. */
  libraries: Map<string, string>;
  /** The dynamic loader, e.g. /lib64/ld-linux-x86-64.so.2. */
  loader: string;
}

/** Runs `ldd binary` and reads its answer; throws when a library is missing on the host. */
export function sharedLibraries(binary: string): SharedLibraries {
  let output: string;
  try {
    output = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`ldd ${binary} failed (is it a dynamically linked executable?): ${String(err)}`, {
      cause: err,
    });
  }
  const libraries = new Map<string, string>();
  let loader: string | undefined;
  for (const line of output.split('\n')) {
    const resolved = /^\s*(\S+) => (\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (resolved?.[1] && resolved[2]) {
      libraries.set(resolved[1], resolved[2]);
      continue;
    }
    if (/=> not found/.test(line))
      throw new Error(`${binary} needs a library the host lacks: ${line.trim()}`);
    // The loader is the one line that names an absolute path without "=>"; linux-vdso has no file.
    const direct = /^\s*(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (direct?.[1]) loader = direct[1];
  }
  if (!loader) throw new Error(`ldd ${binary} named no dynamic loader:\n${output}`);
  return { libraries, loader };
}

/**
 * Image entries for the libraries and the loader, each at the path it has on the host: the loader
 * at the path the binary names, the libraries in the standard directories the loader searches.
 */
export function sharedLibraryEntries({ libraries, loader }: SharedLibraries): RootfsEntry[] {
  return [...[...libraries.values()].sort(), loader].map((path) => hostFile(path));
}
