// Girder as sites run it: over HTTPS with a CA of the site's own, and with file bytes in an object
// store that downloads are redirected to (an S3 assetstore), both ways round. The same container
// task runs on each site; then what goes wrong there (loops, odd Locations, expired signatures, a
// store ignoring Range, a certificate that does not verify) fails as one typed error naming the
// file, without the token, leaving nothing behind.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Connect,
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderFolderIdToVolume,
  GirderHttpError,
  GirderItemIdToVolume,
  GirderTransferError,
  GirderUploadVolumePathToItem,
  NamedInputPipe,
  VolumePath,
  dockerRun,
} from '../../src/index.js';
import { GirderClient } from '../../src/girder/girder-client.js';
import { openFileDownload } from '../../src/girder/download/file-download.js';
import { BUSYBOX } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection } from '../helpers/task.js';
import { testCa } from '../helpers/test-ca.js';
import { useGirder, type GirderFixture } from './helpers/girder.js';
import type { GirderTestServerOptions } from './server/index.js';

useLeakChecks();
const MiB = 1024 * 1024;

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

type Site = {
  name: string;
  redirects: boolean;
  /** Set for the site's tests (the portable path: LONGSHORE_DIRECT_IO=off). */
  env?: Record<string, string>;
  options: (ca: Awaited<ReturnType<typeof testCa>>) => GirderTestServerOptions;
};

const SITES: Site[] = [
  { name: 'plain HTTP, direct I/O (splice, sendfile)', redirects: false, options: () => ({}) },
  {
    name: 'plain HTTP, LONGSHORE_DIRECT_IO=off (Node alone)',
    redirects: false,
    env: { LONGSHORE_DIRECT_IO: 'off' },
    options: () => ({}),
  },
  {
    name: 'HTTP, 303 to a plain-HTTP store, LONGSHORE_DIRECT_IO=off',
    redirects: true,
    env: { LONGSHORE_DIRECT_IO: 'off' },
    options: () => ({ objectStore: {} }),
  },
  { name: 'HTTPS', redirects: false, options: (ca) => ({ tls: ca }) },
  { name: 'HTTP, 303 to a plain-HTTP store', redirects: true, options: () => ({ objectStore: {} }) },
  {
    name: 'HTTP, 302 to an HTTPS store',
    redirects: true,
    options: (ca) => ({ objectStore: { tls: ca, redirectStatus: 302 } }),
  },
  {
    name: 'HTTPS, 307 to an HTTPS store',
    redirects: true,
    options: (ca) => ({ tls: ca, objectStore: { tls: ca, redirectStatus: 307 } }),
  },
];

function sh(script: string, ...args: unknown[]): { containerArgs: unknown[]; entrypoint: string[] } {
  return { entrypoint: ['sh', '-c', script, 'sh'], containerArgs: args };
}

function siteGirder(site: Site): GirderFixture {
  return useGirder(async () => site.options(await testCa()));
}

async function caPem(): Promise<string> {
  return (await testCa()).caPem;
}

describe.each(SITES)('a Girder site: $name', (site) => {
  const girder = siteGirder(site);
  let ca = '';
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    ca = await caPem();
    for (const [name, value] of Object.entries(site.env ?? {})) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  const client = (): GirderClient =>
    new GirderClient({ apiUrl: girder.server.apiUrl, token: girder.token, ca, retryDelayMs: 20 });

  it('runs a container on its files, items, folders and a FIFO stream, and uploads what it wrote', async () => {
    girder.configure({ ca });
    const big = girder.item('big');
    const bigFile = girder.server.createFile(big.item._id, 'big.bin', { size: 9 * MiB + 7, seed: 'big' });
    const { files } = girder.item('small.txt', { 'small.txt': 'small and plain\n' });
    const folder = girder.server.createFolder(girder.folder._id, 'tree');
    girder.server.createFile(girder.server.createItem(folder._id, 'a.txt')._id, 'a.txt', Buffer.from('AAA'));
    const { item: target } = girder.item('results');
    const out = new VolumePath('out.txt');
    const run = dockerRun.delay(BUSYBOX, {
      ...sh(
        'sha256sum "$1" | cut -d" " -f1 > "$5"; cat "$2" >> "$5"; cat "$3/a.txt" >> "$5"; echo >> "$5"; ' +
          'sha256sum < "$4" | cut -d" " -f1 >> "$5"',
        new GirderFileIdToVolume(bigFile._id),
        new GirderItemIdToVolume(files[0]!.itemId as string),
        new GirderFolderIdToVolume(folder._id),
        new Connect(new GirderFileIdToStream(bigFile._id), new NamedInputPipe('big')),
        out,
      ),
      girderResultHooks: [new GirderUploadVolumePathToItem(out, target._id)],
    });
    await run.get();
    const digest = sha256(await girder.server.fileContents(bigFile._id));
    const [uploaded] = girder.server.listFiles(target._id);
    expect((await girder.server.fileContents(uploaded!._id)).toString()).toBe(
      `${digest}\nsmall and plain\nAAA\n${digest}\n`,
    );
    const store = girder.server.objectStore;
    if (store) {
      expect(store.requests.length).toBeGreaterThanOrEqual(4);
      // The token stays with Girder: the store's signed URL is all it gets.
      for (const request of store.requests) expect(request.headers['girder-token']).toBeUndefined();
    }
  });

  it('resumes a dropped download with Range where the bytes came from, to the last byte', async () => {
    const { item } = girder.item('dropped');
    const file = girder.server.createFile(item._id, 'd.bin', { size: 6 * MiB + 3, seed: 'drop' });
    const store = girder.server.objectStore;
    if (store) store.dropDownload(file._id, 2 * MiB + 1, 2);
    else girder.server.faults.dropDownload(file._id, 2 * MiB + 1, 2);
    const chunks: Buffer[] = [];
    for await (const chunk of openFileDownload(client(), {
      _id: file._id,
      name: 'd.bin',
      size: file.size as number,
    }))
      chunks.push(chunk as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(await girder.server.fileContents(file._id)));
    if (store) {
      const ranges = store.requests.filter((r) => r.key === file._id).map((r) => r.headers.range);
      expect(ranges).toEqual([undefined, 'bytes=2097153-', 'bytes=4194306-']);
      // The resumptions asked the store directly, on the signed URL Girder gave once.
      expect(girder.server.requests.filter((r) => r.path === `/file/${file._id}/download`)).toHaveLength(1);
    }
  });

  // Only where a store signs URLs: not registered elsewhere, rather than skipped.
  if (site.redirects)
    it('goes back to Girder for a new signed URL when the store says the old one expired', async () => {
      const { item } = girder.item('expiring');
      const file = girder.server.createFile(item._id, 'e.bin', { size: 3 * MiB, seed: 'exp' });
      const store = girder.server.objectStore!;
      store.dropDownload(file._id, MiB);
      const chunks: Buffer[] = [];
      const download = openFileDownload(client(), { _id: file._id, name: 'e.bin', size: 3 * MiB });
      for await (const chunk of download) {
        if (chunks.length === 0) store.expireSignatures();
        chunks.push(chunk as Buffer);
      }
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(await girder.server.fileContents(file._id)));
      const asked = store.requests.filter((r) => r.key === file._id).map((r) => [r.status, r.headers.range]);
      expect(asked).toEqual([
        [200, undefined],
        [403, `bytes=${MiB}-`],
        [206, `bytes=${MiB}-`],
      ]);
      const atGirder = girder.server.requests.filter((r) => r.path === `/file/${file._id}/download`);
      expect(atGirder.map((r) => r.headers.range)).toEqual([undefined, `bytes=${MiB}-`]);
    });
});

describe('what goes wrong at a real site', () => {
  const girder = useGirder(async () => ({ objectStore: { tls: await testCa() } }));
  let ca = '';
  beforeAll(async () => {
    ca = await caPem();
  });

  /** A container task on one file of the site, failing in its fetching phase. */
  async function failingDownload(fileId: string): Promise<Error> {
    girder.configure({ ca });
    const run = dockerRun.delay(BUSYBOX, { ...sh('cat "$1"', new GirderFileIdToVolume(fileId)) });
    const error = (await rejection(run.get())) as Error;
    expect(error.message).toContain(fileId);
    expect(error.message).not.toContain(girder.token);
    expect(error.message).not.toMatch(/Signature=|secret-looking/);
    return error;
  }

  function newFile(name: string, size = 256 * 1024): string {
    const { item } = girder.item(name);
    return girder.server.createFile(item._id, `${name}.bin`, { size, seed: name })._id;
  }

  it('a redirect loop stops after 10 hops', async () => {
    const fileId = newFile('loop');
    girder.server.faults.redirectDownload(fileId, `${girder.server.apiUrl}/file/${fileId}/download`, 302, 50);
    const error = await failingDownload(fileId);
    expect(error).toBeInstanceOf(GirderTransferError);
    expect(error.message).toMatch(/more than 10 redirects/);
  });

  it.each([
    ['ftp://files.example.org/x', /led to a ftp: URL, not http\(s\)/],
    ['https:///no-host', /a URL without a host/],
    [undefined, /a redirect came without a Location/],
  ])('a redirect to %s is refused', async (location, message) => {
    const fileId = newFile(`odd-${String(location).length}`);
    girder.server.faults.redirectDownload(fileId, location, 303);
    const error = await failingDownload(fileId);
    expect(error).toBeInstanceOf(GirderTransferError);
    expect(error.message).toMatch(message);
  });

  it('a store that answers 200 to a resumption fails clearly, never appending the start again', async () => {
    const fileId = newFile('no-range', 3 * MiB);
    const store = girder.server.objectStore!;
    store.dropDownload(fileId, MiB);
    store.ignoreRange(1);
    // Once for the first answer (dropped), once for the resumption that ignores Range.
    const error = await failingDownload(fileId);
    expect(error).toBeInstanceOf(GirderTransferError);
    expect(error.message).toMatch(/ignored the Range request to resume at byte 1048576/);
  });

  it('a signature the store refuses, again and again, ends as its error in the store words', async () => {
    const fileId = newFile('refused');
    const store = girder.server.objectStore!;
    // Every URL Girder signs from now on is already expired.
    const expire = setInterval(() => store.expireSignatures(), 1);
    try {
      store.expireSignatures();
      const error = await failingDownload(fileId);
      expect(error).toBeInstanceOf(GirderHttpError);
      expect(error.message).toMatch(/HTTP 403: AccessDenied: Request has expired/);
    } finally {
      clearInterval(expire);
    }
  });

  it('a store certificate that does not verify is refused (no CA given: the system roots only)', async () => {
    const fileId = newFile('untrusted');
    girder.configure();
    const run = dockerRun.delay(BUSYBOX, { ...sh('cat "$1"', new GirderFileIdToVolume(fileId)) });
    const error = (await rejection(run.get())) as GirderHttpError;
    expect(error).toBeInstanceOf(GirderHttpError);
    expect(error.status).toBeNull();
    expect(error.message).toContain(fileId);
    expect(error.message).toMatch(/certificate/i);
  });
});
