import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Passwords are kept as `scrypt$N$r$p$SALT$KEY` (SALT and KEY in base64url): a slow hash with a
 * salt per entry, so that a copied auth file does not give the passwords away.
 */
const N = 16_384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Bounds on what a file may ask for: a huge N would let one login take the host's memory. */
const MAX_N = 1 << 20;
const ENTRY = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{32,})$/;

export interface ScryptHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function derive(
  password: string,
  salt: Buffer,
  n: number,
  r: number,
  p: number,
  bytes: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128·N·r bytes; Node's default (32 MiB) would refuse the larger N allowed.
    scrypt(password, salt, bytes, { N: n, r, p, maxmem: 256 * n * r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** A new entry for `password`, with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, N, R, P, KEY_BYTES);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** The parts of a stored entry, or undefined when it is not one (or asks for absurd parameters). */
export function parseScryptHash(text: string): ScryptHash | undefined {
  const match = ENTRY.exec(text);
  if (!match) return undefined;
  const [n, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const powerOfTwo = n > 1 && (n & (n - 1)) === 0;
  if (!powerOfTwo || n > MAX_N || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  return { n, r, p, salt: Buffer.from(match[4]!, 'base64url'), key: Buffer.from(match[5]!, 'base64url') };
}

export async function verifyPassword(password: string, hash: ScryptHash): Promise<boolean> {
  const key = await derive(password, hash.salt, hash.n, hash.r, hash.p, hash.key.length);
  return timingSafeEqual(key, hash.key);
}

/**
 * Tokens are long and random, so a fast hash suffices: they are compared as SHA-256 digests,
 * whether the file holds them in clear or as `sha256:HEX` (what `sha256sum` prints).
 */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Compares in constant time (as far as the length of a SHA-256 digest goes). */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
