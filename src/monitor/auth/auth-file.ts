import { readFile } from 'node:fs/promises';
import { registerSecret } from '../../core/secrets.js';
import { MonitorAuthError } from './auth-error.js';
import { parseScryptHash, tokenDigest, type ScryptHash } from './password-hash.js';

/**
 * Who may use the monitor, from its auth file: one entry a line, `#` starts a comment.
 *
 *   user alice scrypt$16384$8$1$SALT$KEY      (from `longshore monitor --hash-password alice`)
 *   token sha256:HEX                          (a token's SHA-256, as `sha256sum` prints it)
 *   token TOKEN                               (a token in clear, 32 characters or more)
 */
export interface Credentials {
  users: ReadonlyMap<string, ScryptHash>;
  tokens: readonly Buffer[];
}

/** Shorter tokens in clear are refused: they could be guessed. */
export const MIN_TOKEN_LENGTH = 32;
const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const SHA256 = /^sha256:([0-9a-fA-F]{64})$/;

export async function loadAuthFile(file: string): Promise<Credentials> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new MonitorAuthError(`Cannot read the auth file ${file} (${String(code ?? error)})`, {
      cause: error,
    });
  }
  return parseAuthFile(text, file);
}

/** Parses the file's text; a bad line is an error naming the file and line, never its content. */
export function parseAuthFile(text: string, file = 'the auth file'): Credentials {
  const users = new Map<string, ScryptHash>();
  const tokens: Buffer[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    const where = `${file}, line ${index + 1}`;
    const [kind, ...rest] = line.split(/\s+/);
    if (kind === 'user') {
      const [name, hash, extra] = rest;
      if (name === undefined || !USER_NAME.test(name)) {
        throw new MonitorAuthError(
          `${where}: expected 'user NAME scrypt$...' with a name of letters, digits, . _ @ -`,
        );
      }
      const parsed = hash === undefined || extra !== undefined ? undefined : parseScryptHash(hash);
      if (!parsed) {
        throw new MonitorAuthError(
          `${where}: user ${name}'s password is not an scrypt$N$r$p$SALT$KEY entry (make one with 'longshore monitor --hash-password ${name}')`,
        );
      }
      if (users.has(name)) throw new MonitorAuthError(`${where}: user ${name} appears twice`);
      users.set(name, parsed);
      return;
    }
    if (kind === 'token') {
      const [token, extra] = rest;
      if (token === undefined || extra !== undefined) {
        throw new MonitorAuthError(`${where}: expected 'token TOKEN' or 'token sha256:HEX'`);
      }
      const digest = SHA256.exec(token);
      if (digest) {
        tokens.push(Buffer.from(digest[1]!, 'hex'));
        return;
      }
      registerSecret(token);
      if (token.length < MIN_TOKEN_LENGTH) {
        throw new MonitorAuthError(
          `${where}: a token in clear needs ${MIN_TOKEN_LENGTH} characters or more (e.g. 'openssl rand -hex 32')`,
        );
      }
      tokens.push(tokenDigest(token));
      return;
    }
    throw new MonitorAuthError(`${where}: expected a 'user' or 'token' entry`);
  });
  if (users.size === 0 && tokens.length === 0) {
    throw new MonitorAuthError(`${file} has no 'user' or 'token' entry: nobody could log in`);
  }
  return { users, tokens };
}
