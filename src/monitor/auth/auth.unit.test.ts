import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAuthFile } from './auth-file.js';
import { parseCookies, sessionCookie } from './cookies.js';
import { HostAllowList, isLoopbackHost, isOwnOrigin } from './host-allow-list.js';
import { hashPassword, parseScryptHash, verifyPassword } from './password-hash.js';
import { SessionStore } from './sessions.js';

describe('the monitor auth file', () => {
  it('hashes passwords with scrypt and a salt per entry, and checks them', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    const parsed = parseScryptHash(a)!;
    expect(await verifyPassword('correct horse', parsed)).toBe(true);
    expect(await verifyPassword('wrong horse', parsed)).toBe(false);
    expect(parseScryptHash(a.replace('$16384$', '$1073741824$'))).toBeUndefined();
  });

  it('reads users and tokens (in clear or as SHA-256), with comments', async () => {
    const token = 'a'.repeat(40);
    const digest = createHash('sha256').update('b'.repeat(40)).digest('hex');
    const credentials = parseAuthFile(
      `# who may log in\nuser alice ${await hashPassword('pw')}\ntoken ${token}  # the CI's\ntoken sha256:${digest}\n`,
    );
    expect([...credentials.users.keys()]).toEqual(['alice']);
    expect(credentials.tokens.map((t) => t.toString('hex'))).toEqual([
      createHash('sha256').update(token).digest('hex'),
      digest,
    ]);
  });

  it('refuses bad lines by number, without their content', () => {
    expect(() => parseAuthFile('user bob hunter2', 'auth')).toThrow(
      /^auth, line 1: user bob's password is not an scrypt/,
    );
    expect(() => parseAuthFile('\ntoken shortsecret', 'auth')).toThrow(
      /^auth, line 2: a token in clear needs 32/,
    );
    expect(() => parseAuthFile('\ntoken shortsecret', 'auth')).not.toThrow(/shortsecret/);
    expect(() => parseAuthFile('password x', 'auth')).toThrow(/expected a 'user' or 'token' entry/);
    expect(() => parseAuthFile('# nothing\n', 'auth')).toThrow(/nobody could log in/);
    expect(() => parseAuthFile('', 'auth')).toThrow(expect.objectContaining({ code: 'ERR_MONITOR_AUTH' }));
  });
});

describe('the Host allow-list and Origin', () => {
  it('allows the loopback names and the listening address with the port, and names given', () => {
    const hosts = new HostAllowList('0.0.0.0', ['monitor.example.org', 'proxy:8443', '::1']);
    hosts.listening(5555);
    for (const host of ['localhost:5555', '127.0.0.1:5555', '[::1]:5555', '0.0.0.0:5555', 'LOCALHOST:5555']) {
      expect(hosts.allows(host), host).toBe(true);
    }
    for (const host of ['monitor.example.org', 'monitor.example.org:5555', 'proxy:8443']) {
      expect(hosts.allows(host), host).toBe(true);
    }
    for (const host of [
      undefined,
      '',
      'evil.example:5555',
      'localhost:5556',
      'localhost',
      'proxy',
      'proxy:5555',
    ]) {
      expect(hosts.allows(host), String(host)).toBe(false);
    }
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.org', '128.0.0.1'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it("takes an Origin for the monitor's own only when host and port match", () => {
    expect(isOwnOrigin('http://127.0.0.1:5555', '127.0.0.1:5555')).toBe(true);
    expect(isOwnOrigin('https://monitor.example.org', 'monitor.example.org')).toBe(true);
    expect(isOwnOrigin('http://127.0.0.1:5556', '127.0.0.1:5555')).toBe(false);
    expect(isOwnOrigin('http://evil.example:5555', '127.0.0.1:5555')).toBe(false);
    expect(isOwnOrigin('null', '127.0.0.1:5555')).toBe(false);
    expect(isOwnOrigin('file://', '127.0.0.1:5555')).toBe(false);
    expect(isOwnOrigin('http://127.0.0.1:5555', undefined)).toBe(false);
  });
});

describe('sessions and their cookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/, with an age, and Secure on request', () => {
    expect(sessionCookie('abc', { maxAgeSeconds: 60, secure: false })).toBe(
      'longshore_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=60',
    );
    expect(sessionCookie('abc', { maxAgeSeconds: 60, secure: true })).toMatch(/; Secure$/);
    expect(parseCookies('a=1; longshore_session=xyz; a=2').get('longshore_session')).toBe('xyz');
    expect(parseCookies('a=1; a=2').get('a')).toBe('1');
  });

  it('gives random ids that expire', () => {
    let now = 1000;
    const store = new SessionStore(100, () => now);
    const { id, session } = store.create('alice');
    expect(id).toMatch(/^[\w-]{43}$/);
    expect(store.create('alice').id).not.toBe(id);
    expect(store.get(id)).toBe(session);
    expect(store.get(`${id}x`)).toBeUndefined();
    now += 100;
    expect(store.get(id)).toBeUndefined();
    const other = store.create('bob');
    store.delete(other.id);
    expect(store.get(other.id)).toBeUndefined();
  });
});
