// The root file system of the test images: a static busybox with its applets, as tar layers.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import tar from 'tar-stream';

export interface RootfsEntry {
  /** Path inside the image, without a leading slash. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  content?: Buffer;
  /** Symlink target. */
  target?: string;
}

/** Every entry gets this modification time, so that layers (and image ids) are reproducible. */
const MTIME = new Date('2024-01-01T00:00:00Z');

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\n';

/** Throws unless `binary` is an ELF executable without a program interpreter (i.e. statically linked). */
export function assertStaticElf(binary: Buffer, path: string): void {
  if (binary.length < 64 || binary.readUInt32BE(0) !== 0x7f454c46)
    throw new Error(`${path} is not an ELF file`);
  const is64 = binary[4] === 2;
  const le = binary[5] === 1;
  const u16 = (at: number) => (le ? binary.readUInt16LE(at) : binary.readUInt16BE(at));
  const u32 = (at: number) => (le ? binary.readUInt32LE(at) : binary.readUInt32BE(at));
  const phoff = is64 ? Number(le ? binary.readBigUInt64LE(0x20) : binary.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const PT_INTERP = 3;
    if (u32(phoff + i * phentsize) === PT_INTERP) {
      throw new Error(
        `${path} is dynamically linked; the test images need a static busybox (Debian: apt-get install busybox-static)`,
      );
    }
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
      pack.entry({ ...header, name: entry.path, type: 'file' }, entry.content ?? Buffer.alloc(0));
    }
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
