// Girder outputs of a real container: files and directories uploaded to items and folders by result
// hooks (skip and replace, zero-byte files, chunks, a 5xx resumed), and a container's pipe streamed
// straight into Girder with a known or an unknown size. Failures are typed, name what was being
// done, never show the token, and leave nothing behind.
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BindMountVolume,
  Connect,
  ContainerExitError,
  GirderClient,
  GirderHttpError,
  GirderUploadError,
  GirderUploadStream,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
  NamedOutputPipe,
  ResultHookError,
  StreamError,
  ValidationError,
  VolumePath,
  createGirderConnection,
  dockerRun,
  uploadFileToItem,
  uploadPathToFolder,
  uploadPathToItem,
  type TaskHandle,
} from '../../src/index.js';
import { BUSYBOX } from '../helpers/docker.js';
import { listTree, useLeakChecks } from '../helpers/leaks.js';
import { rejection, thrown, useScratchDir, watch, worldWritable } from '../helpers/task.js';
import type { Doc } from './server/index.js';
import { useGirder } from './helpers/girder.js';

const leaks = useLeakChecks();
const girder = useGirder();
const scratch = useScratchDir();
const MiB = 1024 * 1024;
/** Girder refuses chunks under 5 MiB but the last: the smallest chunk size that works everywhere. */
const SMALL_CHUNK = 5 * MiB;

function sh(script: string, ...args: unknown[]): { containerArgs: unknown[]; entrypoint: string[] } {
  return { entrypoint: ['sh', '-c', script, 'sh'], containerArgs: args };
}

/**
 * Where these tests write: a folder of the test user's own (the fixture's folder may belong to
 * nobody), and items in it.
 */
let work: Doc;
beforeAll(() => {
  work = girder.server.createFolder(girder.user._id, 'uploads', { parentType: 'user' });
});

function newItem(name: string, files: Record<string, string> = {}): { item: Doc; files: Doc[] } {
  const item = girder.server.createItem(work._id, name);
  const docs = Object.entries(files).map(([fileName, text]) =>
    girder.server.createFile(item._id, fileName, Buffer.from(text)),
  );
  return { item, files: docs };
}

function newFolder(name: string): Doc {
  return girder.server.createFolder(work._id, `${name}-${Math.random().toString(16).slice(2)}`);
}

/** What `seq 1 N | head -c size` prints: no two chunks alike, so a misplaced chunk shows. */
function seqBytes(size: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  for (let i = 1; length < size; i++) {
    const line = `${i}\n`;
    parts.push(line);
    length += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

/** Shell that writes `size` bytes of seqBytes to the path in $1. */
function writeSeq(size: number, target = '"$1"'): string {
  return `seq 1 100000000 | head -c ${size} > ${target}`;
}

function client(): GirderClient {
  return new GirderClient({ apiUrl: girder.server.apiUrl, token: girder.token });
}

/** The files of an item, by name, with their contents. */
async function contentsOf(itemId: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const file of girder.server.listFiles(itemId)) {
    out[file.name as string] = await girder.server.fileContents(file._id);
  }
  return out;
}

/** A folder's tree as 'path: contents' lines (items holding one file each), sorted. */
async function treeOf(folderId: string, prefix = ''): Promise<string[]> {
  const api = client();
  const lines: string[] = [];
  for await (const item of api.pages<{ _id: string; name: string }>('item', { folderId })) {
    for (const file of girder.server.listFiles(item._id)) {
      const text = (await girder.server.fileContents(file._id)).toString('utf8');
      lines.push(`${prefix}${item.name}/${file.name as string}: ${JSON.stringify(text)}`);
    }
  }
  for await (const sub of api.pages<{ _id: string; name: string }>('folder', {
    parentType: 'folder',
    parentId: folderId,
  })) {
    lines.push(`${prefix}${sub.name}/`, ...(await treeOf(sub._id, `${prefix}${sub.name}/`)));
  }
  return lines.sort();
}

/** Watches the temporary root for an upload's spill file while a task runs. */
function watchSpill(): { stop(): boolean } {
  let seen = false;
  const timer = setInterval(() => {
    try {
      seen ||= listTree(leaks.tempRoot).some((path) => path.endsWith('upload.spool'));
    } catch {
      // a directory went away while it was listed
    }
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return seen;
    },
  };
}

/** Shell that writes `size` bytes of seqBytes to "$1" in two parts, with a pause after the first. */
function writeSeqWithPause(size: number, first: number, seconds: number): string {
  return (
    `mkdir -p /tmp && ${writeSeq(size, '/tmp/all')} && ` +
    `{ head -c ${first} /tmp/all; sleep ${seconds}; tail -c +${first + 1} /tmp/all; } > "$1"`
  );
}

/** Requests since the last clearRequests(), as 'METHOD path'. */
function requestLines(): string[] {
  return girder.server.requests.map((r) => `${r.method} ${r.path.replace(/^\//, '')}`);
}

function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && chain.length < 10; e = (e as Error).cause) chain.push(e);
  return chain;
}

function expectNoToken(error: unknown, handle?: TaskHandle<unknown>): void {
  for (const e of errorChain(error)) {
    expect(String(e)).not.toContain(girder.token);
    expect((e as Error).stack ?? '').not.toContain(girder.token);
  }
  expect(JSON.stringify(handle?.status ?? '')).not.toContain(girder.token);
}

describe('GirderUploadVolumePathToItem', () => {
  it("uploads the file the container wrote, byte for byte, and returns the item's id", async () => {
    girder.configure();
    const { item } = newItem('result');
    const out = new VolumePath('out.txt');
    const hook = new GirderUploadVolumePathToItem(out, item._id);
    expect(String(hook)).toBe(`GirderUploadVolumePathToItem(VolumePath("out.txt") -> item ${item._id})`);
    girder.server.clearRequests();
    const result = await dockerRun
      .delay(BUSYBOX, { ...sh(writeSeq(300_000), out), girderResultHooks: [hook] })
      .get();
    expect(result.hookResults).toEqual([item._id]);
    expect(await contentsOf(item._id)).toEqual({ 'out.txt': seqBytes(300_000) });
    expect(girder.server.listFiles(item._id)[0]?.mimeType).toBe('text/plain');
    expect(requestLines()).toEqual([`GET item/${item._id}/files`, 'POST file', 'POST file/chunk']);
  });

  it('uploads the regular files directly inside a directory; sub-directories, FIFOs and links stay', async () => {
    girder.configure();
    const { item } = newItem('several');
    const dir = new VolumePath('outdir');
    const run = dockerRun.delay(BUSYBOX, {
      ...sh(
        `mkdir -p "$1/sub" && printf alpha > "$1/a.txt" && : > "$1/empty.dat" && ${writeSeq(70_000, '"$1/b.csv"')} ` +
          '&& printf nested > "$1/sub/nested.txt" && mkfifo "$1/pipe" && ln -s /etc/passwd "$1/link.txt"',
        dir,
      ),
      girderResultHooks: [new GirderUploadVolumePathToItem(dir, item._id)],
    });
    const watched = watch(run);
    await run.get();
    expect(await contentsOf(item._id)).toEqual({
      'a.txt': Buffer.from('alpha'),
      'b.csv': seqBytes(70_000),
      'empty.dat': Buffer.alloc(0),
    });
    expect(watched.warnings).toEqual([
      expect.stringMatching(/link\.txt is a symbolic link \(never followed\)$/),
    ]);
  });

  it('keeps a file of the same name and size, and replaces the contents of one of another size', async () => {
    girder.configure();
    const { item, files } = newItem('existing', {
      'same.txt': 'OLD!!',
      'other.txt': 'a much longer old content',
    });
    const [same, other] = files;
    const dir = new VolumePath('d');
    girder.server.clearRequests();
    await dockerRun
      .delay(BUSYBOX, {
        ...sh('mkdir "$1" && printf NEW!! > "$1/same.txt" && printf short > "$1/other.txt"', dir),
        girderResultHooks: [new GirderUploadVolumePathToItem(dir, item._id)],
      })
      .get();
    const listed = girder.server.listFiles(item._id);
    expect(listed.map((f) => [f.name, f._id]).sort()).toEqual(
      [
        ['other.txt', other!._id],
        ['same.txt', same!._id],
      ].sort(),
    );
    expect(await contentsOf(item._id)).toEqual({
      'same.txt': Buffer.from('OLD!!'),
      'other.txt': Buffer.from('short'),
    });
    const lines = requestLines();
    expect(lines.filter((l) => l === 'POST file')).toEqual([]);
    expect(lines).toContain(`PUT file/${other!._id}/contents`);
  });

  it('deleteFile removes the uploaded path afterwards', async () => {
    girder.configure();
    const { item } = newItem('deleted');
    const host = join(scratch, 'delete-me');
    await mkdir(host, { recursive: true });
    await worldWritable(host);
    const volume = new BindMountVolume(host, '/data');
    const out = new VolumePath('gone.txt', volume);
    await dockerRun
      .delay(BUSYBOX, {
        ...sh('printf bye > "$1"', out),
        volumes: [volume],
        girderResultHooks: [new GirderUploadVolumePathToItem(out, item._id, { deleteFile: true })],
      })
      .get();
    expect(await contentsOf(item._id)).toEqual({ 'gone.txt': Buffer.from('bye') });
    expect(existsSync(join(host, 'gone.txt'))).toBe(false);
  });

  it('sends a large file in chunks of chunkSize, streamed from disk', async () => {
    girder.configure({ chunkSize: SMALL_CHUNK });
    const { item } = newItem('big');
    const out = new VolumePath('big.bin');
    const size = 2 * SMALL_CHUNK + 123_457;
    girder.server.clearRequests();
    await dockerRun
      .delay(BUSYBOX, {
        ...sh(writeSeq(size), out),
        girderResultHooks: [new GirderUploadVolumePathToItem(out, item._id)],
      })
      .get();
    expect((await contentsOf(item._id))['big.bin']?.equals(seqBytes(size))).toBe(true);
    const chunks = girder.server.requests.filter((r) => r.path.replace(/^\//, '') === 'file/chunk');
    expect(chunks.map((r) => [Number(r.query.offset), r.bodySize])).toEqual([
      [0, SMALL_CHUNK],
      [SMALL_CHUNK, SMALL_CHUNK],
      [2 * SMALL_CHUNK, 123_457],
    ]);
  });

  it('resumes after a 5xx on a chunk mid-upload from the offset Girder reports', async () => {
    girder.configure({ chunkSize: SMALL_CHUNK });
    const { item } = newItem('resumed');
    const out = new VolumePath('resumed.bin');
    const size = 2 * SMALL_CHUNK + 1000;
    // The second chunk request (and only it) gets a 502.
    girder.server.faults.failNext({ method: 'POST', path: new NthMatch('file/chunk$', 2) }, 502);
    girder.server.clearRequests();
    await dockerRun
      .delay(BUSYBOX, {
        ...sh(writeSeq(size), out),
        girderResultHooks: [new GirderUploadVolumePathToItem(out, item._id)],
      })
      .get();
    expect((await contentsOf(item._id))['resumed.bin']?.equals(seqBytes(size))).toBe(true);
    const tail = girder.server.requests
      .filter((r) => /file\/(chunk|offset)$/.test(r.path))
      .map((r) =>
        [r.method, r.path.replace(/^\//, ''), r.query.offset, r.status]
          .filter((x) => x !== undefined)
          .join(' '),
      );
    expect(tail).toEqual([
      'POST file/chunk 0 200',
      `POST file/chunk ${SMALL_CHUNK} 502`,
      'GET file/offset 200',
      `POST file/chunk ${SMALL_CHUNK} 200`,
      `POST file/chunk ${2 * SMALL_CHUNK} 200`,
    ]);
  });

  it('a missing item fails the task with the GirderHttpError, saying what was being uploaded', async () => {
    girder.configure();
    const missing = 'abcdef0123456789abcdef01';
    const out = new VolumePath('out.txt');
    const run = dockerRun.delay(BUSYBOX, {
      ...sh('printf x > "$1"', out),
      girderResultHooks: [new GirderUploadVolumePathToItem(out, missing)],
    });
    const error = await rejection(run.get());
    expect(error).toBeInstanceOf(ResultHookError);
    const cause = (error as ResultHookError).cause as GirderHttpError;
    expect(cause).toBeInstanceOf(GirderHttpError);
    expect(cause.status).toBe(400);
    expect(cause.message).toContain(
      `Could not upload out.txt to item ${missing}: Girder GET item/${missing}/files`,
    );
    expectNoToken(error, run);
  });

  it("another user's item: a 403 that names the upload and never shows the token", async () => {
    const { token } = girder.server.createUser(`stranger${Date.now()}`);
    girder.configure({ token });
    const { item } = newItem('private');
    const out = new VolumePath('out.txt');
    const error = await rejection(
      dockerRun
        .delay(BUSYBOX, {
          ...sh('printf x > "$1"', out),
          girderResultHooks: [new GirderUploadVolumePathToItem(out, item._id)],
        })
        .get(),
    );
    const cause = (error as ResultHookError).cause as GirderHttpError;
    expect(cause.status).toBe(403);
    expect(cause.message).toMatch(new RegExp(`^Could not upload out\\.txt to item ${item._id}: `));
    for (const e of errorChain(error)) expect(String(e)).not.toContain(token);
    expect(girder.server.listFiles(item._id)).toEqual([]);
  });

  it('checks its arguments at once', () => {
    const out = new VolumePath('x');
    const bad = thrown(() => new GirderUploadVolumePathToItem(out, 'not-an-id')) as ValidationError;
    expect(bad).toBeInstanceOf(ValidationError);
    expect([bad.field, bad.value]).toEqual(['itemId', 'not-an-id']);
    expect(
      (thrown(() => new GirderUploadVolumePathToItem('x' as never, 'a'.repeat(24))) as ValidationError).field,
    ).toBe('volumePath');
    const flag = thrown(
      () => new GirderUploadVolumePathToItem(out, 'a'.repeat(24), { deleteFile: 'yes' as never }),
    ) as ValidationError;
    expect(flag.field).toBe('deleteFile');
    const gc = thrown(
      () =>
        new GirderUploadVolumePathToItem(out, 'a'.repeat(24), {
          gc: { apiUrl: 'http://x', token: 'plain-object-secret' },
        }),
    ) as ValidationError;
    expect(gc.field).toBe('gc');
    expect(gc.message).not.toContain('plain-object-secret');
    const hook = new GirderUploadVolumePathToItem(out, 'a'.repeat(24), {
      gc: createGirderConnection('http://girder.invalid/api/v1', 'connection-token-123'),
    });
    expect([hook.deleteFile, hook.gc?.apiUrl]).toEqual([false, 'http://girder.invalid/api/v1']);
  });
});

describe('GirderUploadVolumePathToFolder', () => {
  it('uploads a directory recursively, reusing sub-folders and leaving symbolic links out', async () => {
    girder.configure();
    const target = newFolder('tree');
    const existing = girder.server.createFolder(target._id, 'sub');
    const dir = new VolumePath('tree');
    const hook = new GirderUploadVolumePathToFolder(dir, target._id);
    expect(String(hook)).toBe(`GirderUploadVolumePathToFolder(VolumePath("tree") -> folder ${target._id})`);
    girder.server.clearRequests();
    const run = dockerRun.delay(BUSYBOX, {
      ...sh(
        'mkdir -p "$1/sub/deep" "$1/other" && printf top > "$1/top.txt" && : > "$1/sub/zero.bin" ' +
          '&& printf deep > "$1/sub/deep/d.txt" && ln -s /etc "$1/etc-link" && ln -s ../top.txt "$1/other/t"',
        dir,
      ),
      girderResultHooks: [hook],
    });
    const watched = watch(run);
    const result = await run.get();
    expect(result.hookResults).toEqual([target._id]);
    expect(await treeOf(target._id)).toEqual([
      'other/',
      'sub/',
      'sub/deep/',
      'sub/deep/d.txt/d.txt: "deep"',
      'sub/zero.bin/zero.bin: ""',
      'top.txt/top.txt: "top"',
    ]);
    // The existing sub-folder was reused, not doubled.
    const subs = requestLines().filter((l) => l === 'POST folder');
    expect(subs).toHaveLength(3);
    const folders = await client().get<{ _id: string; name: string }[]>('folder', {
      parentType: 'folder',
      parentId: target._id,
      name: 'sub',
    });
    expect(folders.map((f) => f._id)).toEqual([existing._id]);
    expect(watched.warnings.sort()).toEqual([
      expect.stringMatching(/etc-link is a symbolic link/),
      expect.stringMatching(/other\/t is a symbolic link/),
    ]);
    // Small files go in one request each (Girder >= 2.3): no chunk requests at all.
    expect(requestLines().filter((l) => l === 'POST file/chunk')).toEqual([]);
  });

  it('a single file, larger than a chunk, goes as an upload and its chunks', async () => {
    girder.configure({ chunkSize: SMALL_CHUNK });
    const target = newFolder('single');
    const out = new VolumePath('large.log');
    const size = SMALL_CHUNK + 10;
    girder.server.clearRequests();
    await dockerRun
      .delay(BUSYBOX, {
        ...sh(writeSeq(size), out),
        girderResultHooks: [new GirderUploadVolumePathToFolder(out, target._id)],
      })
      .get();
    const items = await client().get<{ _id: string; name: string }[]>('item', { folderId: target._id });
    expect(items.map((i) => i.name)).toEqual(['large.log']);
    expect((await contentsOf(items[0]!._id))['large.log']?.equals(seqBytes(size))).toBe(true);
    expect(requestLines().filter((l) => l.startsWith('POST file'))).toEqual([
      'POST file',
      'POST file/chunk',
      'POST file/chunk',
    ]);
  });
});

describe('the upload functions', () => {
  it('uploadFileToItem takes another name; a missing file or a symbolic link is a GirderUploadError', async () => {
    const { item } = newItem('direct');
    const file = join(scratch, 'direct.bin');
    await writeFile(file, seqBytes(1000));
    const api = client();
    const uploaded = await uploadFileToItem(api, item._id, file, { name: 'named.bin' });
    expect(uploaded).toMatchObject({ hostPath: file, name: 'named.bin', size: 1000, outcome: 'created' });
    expect(await contentsOf(item._id)).toEqual({ 'named.bin': seqBytes(1000) });
    const again = await uploadFileToItem(api, item._id, file, { name: 'named.bin' });
    expect([again.outcome, again.fileId]).toEqual(['skipped', uploaded.fileId]);

    const missing = (await rejection(
      uploadFileToItem(api, item._id, join(scratch, 'nope')),
    )) as GirderUploadError;
    expect(missing).toBeInstanceOf(GirderUploadError);
    expect(missing.message).toBe(
      `Could not upload nope to item ${item._id}: ${join(scratch, 'nope')} does not exist`,
    );
    const link = join(scratch, 'link.bin');
    await symlink(file, link);
    const linked = (await rejection(uploadPathToItem(api, item._id, link))) as GirderUploadError;
    expect(linked.message).toContain('is a symbolic link (never followed)');
  });

  it('uploadPathToFolder returns what it did with each file', async () => {
    const target = newFolder('direct');
    const dir = join(scratch, 'tree');
    await mkdir(join(dir, 'inner'), { recursive: true });
    await writeFile(join(dir, 'one.txt'), '1');
    await writeFile(join(dir, 'inner', 'two.txt'), '22');
    const done = await uploadPathToFolder(client(), target._id, dir, { deleteFile: true });
    expect(done.map((f) => [f.name, f.size, f.outcome])).toEqual([
      ['two.txt', 2, 'created'],
      ['one.txt', 1, 'created'],
    ]);
    expect(existsSync(dir)).toBe(false);
    expect(await treeOf(target._id)).toEqual([
      'inner/',
      'inner/two.txt/two.txt: "22"',
      'one.txt/one.txt: "1"',
    ]);
  });
});

describe('GirderUploadStream', () => {
  it('with a known size, streams the pipe into Girder while the container runs, nothing on disk', async () => {
    girder.configure({ chunkSize: SMALL_CHUNK });
    const { item } = newItem('streamed');
    const size = SMALL_CHUNK + 3 * MiB;
    const sink = new GirderUploadStream({ itemId: item._id, name: 'stream.txt', size });
    expect(String(sink)).toBe(`GirderUploadStream("stream.txt" -> item ${item._id})`);
    girder.server.clearRequests();
    // The container pauses after the first chunk: Girder must already have it by then.
    const run = dockerRun.delay(BUSYBOX, {
      ...sh(
        `${writeSeqWithPause(size, SMALL_CHUNK, 2)}; echo done`,
        new Connect(new NamedOutputPipe('out'), sink),
      ),
    });
    let doneAt = 0;
    run.on('log', ({ text }) => {
      if (text.includes('done')) doneAt ||= Date.now();
    });
    const spill = watchSpill();
    await run.get();
    expect(spill.stop()).toBe(false);
    const firstChunk = girder.server.requests.find((r) => r.path.endsWith('file/chunk'));
    expect(firstChunk?.status).toBe(200);
    expect(doneAt - (firstChunk?.at ?? Infinity)).toBeGreaterThan(1000);
    expect((await contentsOf(item._id))['stream.txt']?.equals(seqBytes(size))).toBe(true);
    expect(requestLines().filter((l) => l.startsWith('POST file'))).toEqual([
      'POST file',
      'POST file/chunk',
      'POST file/chunk',
    ]);
  });

  it('with an unknown size, a short stream is held in memory and uploaded when it ends', async () => {
    girder.configure();
    const target = newFolder('unknown');
    const size = 2 * MiB + 17;
    girder.server.clearRequests();
    const spill = watchSpill();
    await dockerRun
      .delay(BUSYBOX, {
        ...sh(
          writeSeq(size),
          new Connect(
            new NamedOutputPipe('out'),
            new GirderUploadStream({ folderId: target._id, name: 'mem.txt' }),
          ),
        ),
      })
      .get();
    expect(spill.stop()).toBe(false);
    const items = await client().get<{ _id: string; name: string }[]>('item', { folderId: target._id });
    expect(items.map((i) => i.name)).toEqual(['mem.txt']);
    expect((await contentsOf(items[0]!._id))['mem.txt']?.equals(seqBytes(size))).toBe(true);
    const init = girder.server.requests.find((r) => r.method === 'POST' && /(^|\/)file$/.test(r.path));
    expect(init?.query.size).toBe(String(size));
  });

  it('with an unknown size, a stream longer than a chunk spills to a temporary file of the task', async () => {
    girder.configure({ chunkSize: SMALL_CHUNK });
    const { item } = newItem('spilled');
    const size = SMALL_CHUNK + 2 * MiB;
    girder.server.clearRequests();
    const spill = watchSpill();
    await dockerRun
      .delay(BUSYBOX, {
        ...sh(
          writeSeqWithPause(size, SMALL_CHUNK + MiB, 1),
          new Connect(
            new NamedOutputPipe('out'),
            new GirderUploadStream({ itemId: item._id, name: 'spill.txt' }),
          ),
        ),
      })
      .get();
    expect(spill.stop()).toBe(true);
    expect((await contentsOf(item._id))['spill.txt']?.equals(seqBytes(size))).toBe(true);
    const chunks = girder.server.requests.filter((r) => r.path.endsWith('file/chunk'));
    expect(chunks.map((r) => r.bodySize)).toEqual([SMALL_CHUNK, 2 * MiB]);
    // useLeakChecks: the spill file's directory is gone with the task.
  });

  it('a zero-byte stream makes an empty file', async () => {
    girder.configure();
    const { item } = newItem('empty-stream');
    await dockerRun
      .delay(BUSYBOX, {
        ...sh(
          ': > "$1"; : > "$2"',
          new Connect(
            new NamedOutputPipe('a'),
            new GirderUploadStream({ itemId: item._id, name: 'known.txt', size: 0 }),
          ),
          new Connect(
            new NamedOutputPipe('b'),
            new GirderUploadStream({ itemId: item._id, name: 'unknown.txt' }),
          ),
        ),
      })
      .get();
    expect(await contentsOf(item._id)).toEqual({
      'known.txt': Buffer.alloc(0),
      'unknown.txt': Buffer.alloc(0),
    });
  });

  it('a missing item fails the task before the container starts', async () => {
    girder.configure();
    const missing = '0123456789abcdef01234567';
    const run = dockerRun.delay(BUSYBOX, {
      ...sh(
        'echo started; printf x > "$1"',
        new Connect(
          new NamedOutputPipe('out'),
          new GirderUploadStream({ itemId: missing, name: 'x.txt', size: 1 }),
        ),
      ),
    });
    const watched = watch(run);
    const error = (await rejection(run.get())) as GirderHttpError;
    expect(error).toBeInstanceOf(GirderHttpError);
    expect(error.message).toContain(`Could not upload x.txt to item ${missing}`);
    expect(watched.stdout).toBe('');
    expectNoToken(error, run);
  });

  it('a chunk Girder refuses fails the task with a typed error, and the container is not left hanging', async () => {
    girder.configure({ chunkSize: SMALL_CHUNK });
    const { item } = newItem('refused');
    const size = 3 * SMALL_CHUNK;
    girder.server.faults.failNext({ method: 'POST', path: /file\/chunk$/ }, 403);
    const started = Date.now();
    const run = dockerRun.delay(BUSYBOX, {
      ...sh(
        writeSeq(size),
        new Connect(
          new NamedOutputPipe('out'),
          new GirderUploadStream({ itemId: item._id, name: 'r.txt', size }),
        ),
      ),
    });
    const error = await rejection(run.get());
    expect(error).toBeInstanceOf(StreamError);
    const http = errorChain(error).find((e) => e instanceof GirderHttpError) as GirderHttpError;
    expect(http.status).toBe(403);
    expect(http.message).toContain(`Could not upload r.txt to item ${item._id}`);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(girder.server.listFiles(item._id)).toEqual([]);
    expectNoToken(error, run);
  });

  it('a 5xx on a streamed chunk is not retried (a stream cannot be replayed): a GirderUploadError says so', async () => {
    girder.configure({ chunkSize: SMALL_CHUNK });
    const { item } = newItem('unreplayable');
    const size = 2 * SMALL_CHUNK;
    girder.server.faults.failNext({ method: 'POST', path: new NthMatch('file/chunk$', 2) }, 503);
    const run = dockerRun.delay(BUSYBOX, {
      ...sh(
        writeSeq(size),
        new Connect(
          new NamedOutputPipe('out'),
          new GirderUploadStream({ itemId: item._id, name: 'u.txt', size }),
        ),
      ),
    });
    const error = await rejection(run.get());
    expect(error).toBeInstanceOf(StreamError);
    const upload = errorChain(error).find((e) => e instanceof GirderUploadError) as GirderUploadError;
    expect(upload.message).toMatch(
      new RegExp(
        `^Could not upload u\\.txt to item ${item._id}: Girder POST file/chunk failed with HTTP 503`,
      ),
    );
    expect(upload.message).toContain('a stream cannot be sent again, so the upload is not resumed');
    expect((upload.cause as GirderHttpError).status).toBe(503);
    // The unfinished upload was dropped from the server.
    expect(girder.server.requests.at(-1)).toMatchObject({ method: 'DELETE' });
    expectNoToken(error, run);
  });

  it('a stream longer than its announced size fails with a typed error', async () => {
    girder.configure();
    const { item } = newItem('too-long');
    const run = dockerRun.delay(BUSYBOX, {
      ...sh(
        'printf 0123456789 > "$1"',
        new Connect(
          new NamedOutputPipe('out'),
          new GirderUploadStream({ itemId: item._id, name: 'l.txt', size: 4 }),
        ),
      ),
    });
    const error = await rejection(run.get());
    expect([StreamError, ContainerExitError].some((type) => error instanceof type)).toBe(true);
    expect(errorChain(error).map(String).join('\n')).toContain('longer than the 4 bytes announced');
    expect(girder.server.listFiles(item._id)).toEqual([]);
  });

  it('checks its arguments at once', () => {
    const id = 'a'.repeat(24);
    expect((thrown(() => new GirderUploadStream({ name: 'x' })) as ValidationError).field).toBe('itemId');
    expect(
      (thrown(() => new GirderUploadStream({ itemId: id, folderId: id, name: 'x' })) as ValidationError)
        .field,
    ).toBe('itemId');
    expect(
      (thrown(() => new GirderUploadStream({ folderId: 'nope', name: 'x' })) as ValidationError).field,
    ).toBe('folderId');
    expect((thrown(() => new GirderUploadStream({ itemId: id, name: 'a/b' })) as ValidationError).field).toBe(
      'name',
    );
    expect(
      (thrown(() => new GirderUploadStream({ itemId: id, name: 'x', size: -1 })) as ValidationError).field,
    ).toBe('size');
  });
});

/** A RegExp that matches only its `n`th matching test: to fail one request in the middle of a run. */
class NthMatch extends RegExp {
  #seen = 0;
  constructor(
    source: string,
    readonly n: number,
  ) {
    super(source);
  }

  override test(text: string): boolean {
    if (!super.test(text)) return false;
    this.#seen += 1;
    return this.#seen === this.n;
  }
}
