// A site behind a forward proxy: HTTP_PROXY / HTTPS_PROXY / NO_PROXY as curl and Python's requests
// read them. Plain HTTP goes to the proxy in absolute form (the raw-socket fast paths step aside),
// HTTPS through a CONNECT tunnel that still verifies Girder's certificate, NO_PROXY hosts directly;
// a proxy that refuses is one typed error naming the file, without the token.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Connect,
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderHttpError,
  GirderUploadVolumePathToItem,
  NamedInputPipe,
  VolumePath,
  dockerRun,
} from '../../src/index.js';
import { BUSYBOX } from '../helpers/docker.js';
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection, withEnv } from '../helpers/task.js';
import { testCa } from '../helpers/test-ca.js';
import { useGirder, type GirderFixture } from './helpers/girder.js';

useLeakChecks();
const MiB = 1024 * 1024;
const PRINT_FILE_SIZE = fileURLToPath(new URL('./helpers/print-file-size.ts', import.meta.url));
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
let proxy: ForwardProxy;
beforeAll(async () => {
  proxy = await startForwardProxy();
});
afterAll(async () => {
  await proxy.close();
});

function sh(script: string, ...args: unknown[]): { containerArgs: unknown[]; entrypoint: string[] } {
  return { entrypoint: ['sh', '-c', script, 'sh'], containerArgs: args };
}

/** A container reads a file through a FIFO, checks it, and uploads its digest: Girder both ways. */
async function roundTrip(girder: GirderFixture): Promise<void> {
  const { item } = girder.item(`in-${Math.random()}`);
  const file = girder.server.createFile(item._id, 'in.bin', { size: 3 * MiB + 1, seed: 'proxy' });
  const { item: target } = girder.item(`out-${Math.random()}`);
  const out = new VolumePath('digest.txt');
  await dockerRun
    .delay(BUSYBOX, {
      ...sh(
        'sha256sum < "$1" | cut -d" " -f1 > "$3"; sha256sum "$2" | cut -d" " -f1 >> "$3"',
        new Connect(new GirderFileIdToStream(file._id), new NamedInputPipe('in')),
        new GirderFileIdToVolume(file._id),
        out,
      ),
      girderResultHooks: [new GirderUploadVolumePathToItem(out, target._id)],
    })
    .get();
  const digest = sha256(await girder.server.fileContents(file._id));
  const [uploaded] = girder.server.listFiles(target._id);
  expect((await girder.server.fileContents(uploaded!._id)).toString()).toBe(`${digest}\n${digest}\n`);
}

describe('a plain-HTTP Girder behind a proxy', () => {
  const girder = useGirder();

  it('HTTP_PROXY carries every request, the FIFO stream and the upload included', async () => {
    proxy.seen.length = 0;
    await withEnv({ HTTP_PROXY: proxy.url, NO_PROXY: '' }, async () => {
      girder.configure();
      await roundTrip(girder);
    });
    const origin = new URL(girder.server.apiUrl).origin;
    expect(proxy.seen.filter((line) => line.includes('/download'))).toHaveLength(2);
    expect(proxy.seen).toContain(`POST ${origin}/api/v1/file/chunk`);
    expect(
      proxy.seen.every(
        (line) => line.startsWith('GET ') || line.startsWith('POST ') || line.startsWith('PUT '),
      ),
    ).toBe(true);
  });

  it('NO_PROXY names the hosts that are reached directly (lower-case names win, as curl reads them)', async () => {
    proxy.seen.length = 0;
    await withEnv({ HTTP_PROXY: proxy.url, no_proxy: '127.0.0.1' }, async () => {
      girder.configure();
      await roundTrip(girder);
    });
    expect(proxy.seen).toEqual([]);
  });

  it('a proxy that refuses fails the task as one error naming the file, without the token', async () => {
    proxy.refuse = true;
    try {
      const { item } = girder.item('refused');
      const file = girder.server.createFile(item._id, 'r.bin', Buffer.from('never'));
      await withEnv({ HTTP_PROXY: proxy.url, NO_PROXY: '' }, async () => {
        girder.configure({ retries: 0 });
        const run = dockerRun.delay(BUSYBOX, { ...sh('cat "$1"', new GirderFileIdToVolume(file._id)) });
        const error = (await rejection(run.get())) as GirderHttpError;
        expect(error).toBeInstanceOf(GirderHttpError);
        expect(error.status).toBe(403);
        expect(error.message).toContain(file._id);
        expect(error.message).not.toContain(girder.token);
      });
    } finally {
      proxy.refuse = false;
    }
  });
});

describe('an HTTPS Girder behind a proxy', () => {
  const girder = useGirder(async () => ({ tls: await testCa() }));

  it('HTTPS_PROXY tunnels with CONNECT, and the certificate is still checked against the site CA', async () => {
    const ca = await testCa();
    proxy.seen.length = 0;
    await withEnv({ HTTPS_PROXY: proxy.url, NO_PROXY: '' }, async () => {
      girder.configure({ ca: ca.caFile });
      await roundTrip(girder);
      // Without the CA the same tunnel refuses the certificate.
      girder.configure({ retries: 0 });
      const { item } = girder.item('untrusted');
      const file = girder.server.createFile(item._id, 'u.bin', Buffer.from('x'));
      const error = (await rejection(
        dockerRun.delay(BUSYBOX, { ...sh('cat "$1"', new GirderFileIdToVolume(file._id)) }).get(),
      )) as Error;
      expect(error.message).toMatch(/certificate/i);
    });
    const { host } = new URL(girder.server.apiUrl);
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${host}`]));
  });
});

describe('NODE_EXTRA_CA_CERTS', () => {
  const girder = useGirder(async () => ({ tls: await testCa() }));

  it('is trusted as Node users expect, with or without a girder.ca of its own', async () => {
    const ca = await testCa();
    const { item } = girder.item('extra-ca');
    const file = girder.server.createFile(item._id, 'x.bin', { size: MiB, seed: 'extra' });
    // Node reads the variable at start: a process of its own.
    const run = (env: Record<string, string>) =>
      promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', PRINT_FILE_SIZE, girder.server.apiUrl, girder.token, file._id],
        {
          env: { ...process.env, ...env },
        },
      );
    expect((await run({ NODE_EXTRA_CA_CERTS: ca.caFile })).stdout).toBe(String(MiB));
    expect(
      (await run({ NODE_EXTRA_CA_CERTS: ca.caFile, LONGSHORE_GIRDER_CA: join(ca.dir, 'stranger-ca.pem') }))
        .stdout,
    ).toBe(String(MiB));
    const refused = await rejection(run({}));
    expect(String((refused as { stderr?: string }).stderr)).toMatch(/certificate/i);
  });
});
