// The root file system of the test images: a static busybox with its applets, as tar layers.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import tar from 'tar-stream';
import { sha256 } from './docker-archive.js';
import { readElf } from './elf.js';

export interface RootfsEntry {
  /** Path inside the image, without a leading slash. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  content?: Buffer;
  /** A host file read only when the layer is packed (instead of `content`). */
  source?: string;
  /** Symlink target. */
  target?: string;
}

/** Every entry gets this modification time, so that layers (and image ids) are reproducible. */
const MTIME = new Date('2024-01-01T00:00:00Z');

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\n';

/** Throws unless `binary` is an ELF executable without a program interpreter (i.e. statically linked). */
export function assertStaticElf(binary: Buffer, path: string): void {
  if (readElf(binary, path).interpreter !== undefined) {
    throw new Error(
      `${path} is dynamically linked; the test images need a static busybox (Debian: apt-get install busybox-static)`,
    );
  }
}

/** The base layer: /bin/busybox from the host plus a symlink in /bin for each applet, and a minimal /etc. */
export function busyboxRootfs(busyboxPath = '/bin/busybox'): RootfsEntry[] {
  const binary = readFileSync(busyboxPath);
  assertStaticElf(binary, busyboxPath);
  const applets = execFileSync(busyboxPath, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .map((name) => name.trim())
    .filter((name) => name !== '' && name !== 'busybox' && !name.includes('/'))
    .sort();
  const dir = (path: string, mode = 0o755): RootfsEntry => ({ path, type: 'directory', mode });
  return [
    ...['bin', 'dev', 'etc', 'home', 'mnt', 'proc', 'sys', 'usr', 'usr/local', 'usr/local/bin', 'var'].map(
      (p) => dir(p),
    ),
    dir('root', 0o700),
    dir('tmp', 0o1777),
    dir('var/tmp', 0o1777),
    { path: 'bin/busybox', type: 'file', mode: 0o755, content: binary },
    ...applets.map((name): RootfsEntry => ({
      path: `bin/${name}`,
      type: 'symlink',
      mode: 0o777,
      target: 'busybox',
    })),
    { path: 'etc/passwd', type: 'file', mode: 0o644, content: Buffer.from(PASSWD) },
    { path: 'etc/group', type: 'file', mode: 0o644, content: Buffer.from(GROUP) },
  ];
}

/** An uncompressed layer tar of the entries (owned by root, fixed mtime). */
export async function packLayer(entries: readonly RootfsEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const header = { mode: entry.mode, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: MTIME };
    if (entry.type === 'directory') {
      pack.entry({ ...header, name: `${entry.path}/`, type: 'directory' });
    } else if (entry.type === 'symlink') {
      pack.entry({ ...header, name: entry.path, type: 'symlink', linkname: entry.target ?? '' });
    } else {
      const content = entry.content ?? (entry.source ? readFileSync(entry.source) : Buffer.alloc(0));
      pack.entry({ ...header, name: entry.path, type: 'file' }, content);
    }
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * What stands for a layer in an image's definition hash. A layer of inline contents is packed and
 * hashed. A layer of host files is identified by their paths, sizes and modification times
 * instead, so that deciding that an image is up to date never reads (say) a 100 MB node binary.
 */
export async function layerKey(entries: readonly RootfsEntry[]): Promise<string> {
  if (!entries.some((entry) => entry.source !== undefined)) return sha256(await packLayer(entries));
  const described = entries.map(({ content, source, ...entry }) => {
    if (source === undefined) return { ...entry, ...(content ? { sha256: sha256(content) } : {}) };
    const { size, mtimeMs } = statSync(source);
    return { ...entry, source, size, mtimeMs };
  });
  return `host-files:${sha256(JSON.stringify(described))}`;
}

/** A host file as an entry at `path` in the image, keeping its permission bits. */
export function hostFile(source: string, path = source.replace(/^\/+/, '')): RootfsEntry {
  return { path, type: 'file', mode: statSync(source).mode & 0o7777, source };
}

/** The entries, each preceded by the directories above it that no earlier entry makes. */
export function withParentDirectories(entries: readonly RootfsEntry[]): RootfsEntry[] {
  const made = new Set<string>();
  const result: RootfsEntry[] = [];
  for (const entry of entries) {
    const parts = entry.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (made.has(dir)) continue;
      made.add(dir);
      result.push({ path: dir, type: 'directory', mode: 0o755 });
    }
    if (entry.type === 'directory') {
      if (made.has(entry.path)) continue;
      made.add(entry.path);
    }
    result.push(entry);
  }
  return result;
}
