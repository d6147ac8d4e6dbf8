import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostPathRefusal, isInside, resolveHostPath, resolvePathPolicy } from './path-rules.js';
import { parseWorkerPolicy, type WorkerPolicyInput } from './policy-schema.js';

const base = mkdtempSync(path.join(tmpdir(), 'policy-paths-'));
const tmpRoot = path.join(base, 'tmp-root');
const data = path.join(base, 'data');
mkdirSync(tmpRoot);
mkdirSync(path.join(data, 'inside'), { recursive: true });
symlinkSync('/', path.join(data, 'to-root'));
symlinkSync('/etc', path.join(data, 'to-etc'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function refusal(p: string, access: 'ro' | 'rw' | 'create', input: WorkerPolicyInput = {}) {
  const policy = await resolvePathPolicy(parseWorkerPolicy(input), {
    tmpRoot,
    dockerSockets: ['/var/run/docker.sock', path.join(data, 'engine.sock')],
  });
  return hostPathRefusal(await resolveHostPath(p), access, policy);
}

describe('path containment', () => {
  it('compares whole segments', () => {
    expect(isInside('/srv/data', '/srv/data')).toBe(true);
    expect(isInside('/srv/data/x', '/srv/data')).toBe(true);
    expect(isInside('/srv/database', '/srv/data')).toBe(false);
    expect(isInside('/srv', '/srv/data')).toBe(false);
  });

  it('resolves .. and the symlinks of the longest existing prefix', async () => {
    expect(await resolveHostPath(`${data}/inside/../../data/inside`)).toBe(
      await resolveHostPath(`${data}/inside`),
    );
    expect(await resolveHostPath(`${data}/to-etc/not/yet/there`)).toBe(
      `${await resolveHostPath('/etc')}/not/yet/there`,
    );
    expect(await resolveHostPath(`${data}/to-root`)).toBe('/');
  });
});

describe('the default (no hostRoots)', () => {
  it('refuses the root, system directories and Docker sockets, also through .. and symlinks', async () => {
    expect(await refusal('/', 'ro')).toMatch(/host root/);
    expect(await refusal('/etc', 'ro')).toMatch(/system directory/);
    expect(await refusal('/usr/lib', 'ro')).toMatch(/system directory/);
    expect(await refusal('/lib64', 'ro')).toMatch(/system directory/);
    expect(await refusal('/var/lib/docker', 'rw')).toMatch(/system directory/);
    expect(await refusal(`${data}/../../../../../../etc`, 'rw')).toMatch(/system directory/);
    expect(await refusal(`${data}/to-root`, 'rw')).toMatch(/host root/);
    expect(await refusal(`${data}/to-etc/cron.d`, 'rw')).toMatch(/system directory/);
    expect(await refusal('/var/run/docker.sock', 'rw')).toMatch(/Docker socket/);
    expect(await refusal(path.join(data, 'engine.sock'), 'rw')).toMatch(/Docker socket/);
    expect(await refusal(data, 'ro')).toMatch(/Docker socket/); // it holds the configured socket
    expect(await refusal('/home/someone/docker.sock', 'ro')).toMatch(/Docker socket/);
  });

  it('allows /var/tmp, the temporary root and other directories', async () => {
    expect(await refusal('/var/tmp/x', 'rw')).toBeUndefined();
    expect(await refusal(path.join(data, 'inside'), 'rw')).toBeUndefined();
    expect(await refusal(path.join(tmpRoot, 'a', 'b'), 'create')).toBeUndefined();
  });

  it('creates directories and pipes only below the temporary root or a read-write root', async () => {
    expect(await refusal(path.join(data, 'inside', 'new'), 'create')).toMatch(/temporary root/);
    expect(
      await refusal(path.join(data, 'inside', 'new'), 'create', { hostRoots: [{ path: data, mode: 'rw' }] }),
    ).toBeUndefined();
    expect(
      await refusal(path.join(data, 'inside', 'new'), 'create', { hostRoots: [{ path: data, mode: 'ro' }] }),
    ).toMatch(/temporary root/);
  });
});

describe('hostRoots', () => {
  const roots = {
    hostRoots: [
      { path: path.join(data, 'inside'), mode: 'ro' as const },
      { path: '/var/lib/site', mode: 'rw' as const },
    ],
  };

  it('allows only below a root, read-only roots only for reading', async () => {
    expect(await refusal(path.join(data, 'inside', 'f'), 'ro', roots)).toBeUndefined();
    expect(await refusal(path.join(data, 'inside', 'f'), 'rw', roots)).toMatch(/read-only/);
    expect(await refusal('/var/lib/site/x', 'rw', roots)).toBeUndefined();
    expect(await refusal('/srv/other', 'ro', roots)).toMatch(/only below/);
    // The root holds the Docker socket, and is below no root.
    expect(await refusal(`${data}/inside/../to-root`, 'ro', roots)).toMatch(/Docker socket|only below/);
  });

  it('still refuses a Docker socket below a root unless allowed', async () => {
    const withSocket = { hostRoots: [{ path: data, mode: 'rw' as const }] };
    expect(await refusal(path.join(data, 'engine.sock'), 'rw', withSocket)).toMatch(/Docker socket/);
    expect(
      await refusal(path.join(data, 'engine.sock'), 'rw', { ...withSocket, allow: { dockerSocket: true } }),
    ).toBeUndefined();
  });
});
