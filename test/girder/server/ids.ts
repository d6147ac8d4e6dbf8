// Identifiers as Girder makes them: MongoDB ObjectIds for documents, random alphanumeric strings
// for tokens and API keys (girder.utility.genToken).
import { randomBytes, randomInt } from 'node:crypto';

const PROCESS_UNIQUE = randomBytes(5);
let counter = randomInt(0, 0xffffff);

/** A new 24-hex ObjectId: 4 bytes of seconds, 5 per-process random bytes, a 3-byte counter. */
export function newObjectId(): string {
  const id = Buffer.alloc(12);
  id.writeUInt32BE(Math.floor(Date.now() / 1000), 0);
  PROCESS_UNIQUE.copy(id, 4);
  counter = (counter + 1) % 0x1000000;
  id.writeUIntBE(counter, 9, 3);
  return id.toString('hex');
}

/** bson's rule for a string: exactly 24 hex digits, either case. */
export function isObjectId(value: string): boolean {
  return /^[0-9a-fA-F]{24}$/.test(value);
}

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Girder's genToken: `length` characters drawn from letters and digits (64 for tokens, 40 for keys). */
export function genToken(length = 64): string {
  let out = '';
  for (let i = 0; i < length; i++) out += TOKEN_ALPHABET[randomInt(0, TOKEN_ALPHABET.length)];
  return out;
}
