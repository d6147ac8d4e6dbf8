// Test data made on the fly: deterministic pseudo-random bytes that are hashed as they are produced,
// and a Writable that hashes what it receives.
import { createCipheriv, createHash, type Hash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';

const CHUNK = 1 << 20;

/**
 * `totalBytes` of deterministic pseudo-random data (the AES-256-CTR keystream of `seed`), made
 * only as fast as it is read, never held in memory. `sha256()` is the hash of what was read, once
 * the stream has ended.
 */
export class PseudoRandomSource extends Readable {
  readonly totalBytes: number;
  #produced = 0;
  readonly #cipher;
  readonly #hash: Hash = createHash('sha256');
  readonly #zeros = Buffer.alloc(CHUNK);
  #digest: string | undefined;

  constructor(totalBytes: number, seed = 'longshore') {
    super({ highWaterMark: CHUNK });
    this.totalBytes = totalBytes;
    const key = createHash('sha256').update(seed).digest();
    this.#cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }

  get produced(): number {
    return this.#produced;
  }

  override _read(): void {
    const size = Math.min(CHUNK, this.totalBytes - this.#produced);
    if (size <= 0) {
      this.#digest = this.#hash.digest('hex');
      this.push(null);
      return;
    }
    const chunk = this.#cipher.update(size === CHUNK ? this.#zeros : this.#zeros.subarray(0, size));
    this.#hash.update(chunk);
    this.#produced += size;
    this.push(chunk);
  }

  /** The sha256 of every byte produced; only once all were produced. */
  sha256(): string {
    if (this.#digest === undefined)
      throw new Error(`only ${this.#produced} of ${this.totalBytes} bytes produced`);
    return this.#digest;
  }
}

/** `totalBytes` of a repeated ASCII pattern, made as it is read. */
export function patternSource(totalBytes: number, pattern = '0123456789abcdef'): Readable {
  const block = Buffer.from(pattern.repeat(Math.ceil(CHUNK / pattern.length))).subarray(0, CHUNK);
  let produced = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      const size = Math.min(CHUNK, totalBytes - produced);
      if (size <= 0) return void this.push(null);
      produced += size;
      this.push(block.subarray(0, size));
    },
  });
}

/** Hashes and counts what is written to it. */
export class HashingSink extends Writable {
  readonly #hash: Hash = createHash('sha256');
  bytes = 0;
  #digest: string | undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#digest = this.#hash.digest('hex');
    callback();
  }

  /** The hash of everything written; only once the sink has been ended. */
  sha256(): string {
    if (this.#digest === undefined) throw new Error('the sink was not ended');
    return this.#digest;
  }
}

/** The sha256 of the conformance image's `write-pipe -n MIB` output. */
export function writePipeSha256(mebibytes: number): string {
  const line = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_\n';
  const mib = Buffer.from(line.repeat(16384));
  const hash = createHash('sha256');
  for (let i = 0; i < mebibytes; i++) hash.update(mib);
  return hash.digest('hex');
}
