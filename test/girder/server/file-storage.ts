// File bytes live on disk, in a temporary directory of their own: everything else is in memory.
// Finished files are at files/<fileId>, uploads in progress at temp/<uploadId>.
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHUNK = 8 << 20;

/** Stores not destroyed yet: removed when the process exits, so a test that forgets close() leaves no GiBs behind. */
const live = new Set<string>();
let exitHookInstalled = false;

function removeLeftovers(): void {
  for (const root of live) rmSync(root, { recursive: true, force: true });
  live.clear();
}

export class FileStorage {
  readonly root: string;
  readonly #files: string;
  readonly #temp: string;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'girder-test-server-'));
    this.#files = join(this.root, 'files');
    this.#temp = join(this.root, 'temp');
    mkdirSync(this.#files);
    mkdirSync(this.#temp);
    live.add(this.root);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', removeLeftovers);
    }
  }

  filePath(fileId: string): string {
    return join(this.#files, fileId);
  }

  tempPath(uploadId: string): string {
    return join(this.#temp, uploadId);
  }

  async destroy(): Promise<void> {
    live.delete(this.root);
    await rm(this.root, { recursive: true, force: true });
  }
}

/**
 * The keystream of AES-256-CTR keyed by sha256(seed), from byte 0: the same bytes as test/helpers'
 * PseudoRandomSource(size, seed), so a test can produce or hash the expected content independently.
 */
export function pseudoRandomCipher(seed: string) {
  return createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
}

/** Writes `size` pseudo-random bytes to `path`, a chunk at a time (a 1 GiB file never sits in memory). */
export function writePseudoRandomFileSync(path: string, size: number, seed: string): void {
  const cipher = pseudoRandomCipher(seed);
  const zeros = Buffer.alloc(Math.min(CHUNK, size));
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < size;) {
      const n = Math.min(zeros.length, size - written);
      const chunk = cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n));
      for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off, chunk.length - off);
      written += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** The same bytes as writePseudoRandomFileSync, in memory (for small expectations in tests). */
export function pseudoRandomBytes(size: number, seed: string): Buffer {
  return pseudoRandomCipher(seed).update(Buffer.alloc(size));
}
