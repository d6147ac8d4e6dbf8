// Girder inputs of a real container: files, items and folders downloaded into volumes, files
// streamed through a FIFO (resuming after a dropped connection), and bad input failing before any
// container starts, leaving nothing behind.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Connect,
  GirderConfigError,
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderFolderIdToVolume,
  GirderHttpError,
  GirderItemIdToVolume,
  NamedInputPipe,
  ValidationError,
  dockerRun,
  type TaskPhase,
} from '../../src/index.js';
import { BUSYBOX } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection, thrown, watch } from '../helpers/task.js';
import { useGirder } from './helpers/girder.js';

useLeakChecks();
const girder = useGirder();
const MiB = 1024 * 1024;

function sh(script: string, ...args: unknown[]): { containerArgs: unknown[]; entrypoint: string[] } {
  return { entrypoint: ['sh', '-c', script, 'sh'], containerArgs: args };
}

function phasesOf(handle: ReturnType<typeof dockerRun.delay>): TaskPhase[] {
  const phases: TaskPhase[] = [];
  handle.on('phase', (phase) => phases.push(phase));
  return phases;
}

describe('Girder inputs', () => {
  it('GirderFileIdToVolume puts the file at <volume>/<fileId>/<name>, or at the filename given', async () => {
    girder.configure();
    const { files } = girder.item('scan', { 'scan.txt': 'hello from girder\n' });
    const fileId = files[0]!._id;
    const run = dockerRun.delay(BUSYBOX, {
      ...sh(
        'echo "$1"; cat "$1"; echo "$2"; cat "$2"',
        new GirderFileIdToVolume(fileId),
        new GirderFileIdToVolume(fileId, { filename: 'in/renamed.txt' }),
      ),
    });
    const watched = watch(run);
    const phases = phasesOf(run);
    await run.get();
    const [first, firstBody, second, secondBody] = watched.stdout.split('\n');
    expect(first).toMatch(new RegExp(`^/mnt/girder_worker/[0-9a-f]{32}/${fileId}/scan\\.txt$`));
    expect(second).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\/in\/renamed\.txt$/);
    expect([firstBody, secondBody]).toEqual(['hello from girder', 'hello from girder']);
    expect(phases).toEqual(['fetching-input', 'fetching-input', 'running']);
  });

  it('GirderItemIdToVolume: one file named like the item is that file, anything else a directory', async () => {
    girder.configure();
    const single = girder.item('alone.txt', { 'alone.txt': 'just me' });
    const several = girder.item('pair', { 'a.txt': 'A', 'b.txt': 'BB' });
    const run = dockerRun.delay(BUSYBOX, {
      ...sh(
        'cat "$1"; echo; basename "$2"; ls "$2"; cat "$2/b.txt"',
        new GirderItemIdToVolume(single.item._id),
        new GirderItemIdToVolume(several.item._id),
      ),
    });
    const watched = watch(run);
    await run.get();
    expect(watched.stdout).toBe('just me\npair\na.txt\nb.txt\nBB');
  });

  it('GirderFolderIdToVolume downloads a folder tree recursively', async () => {
    girder.configure();
    const top = girder.server.createFolder(girder.folder._id, 'tree');
    const sub = girder.server.createFolder(top._id, 'sub');
    const deep = girder.server.createFolder(sub._id, 'deep');
    girder.server.createFile(
      girder.server.createItem(top._id, 'readme.md')._id,
      'readme.md',
      Buffer.from('# top'),
    );
    girder.server.createFile(girder.server.createItem(sub._id, 'data')._id, 'x.csv', Buffer.from('1,2'));
    girder.server.createFile(
      girder.server.createItem(deep._id, 'empty.bin')._id,
      'empty.bin',
      Buffer.alloc(0),
    );
    const run = dockerRun.delay(BUSYBOX, {
      ...sh('cd "$1" && pwd && find . | sort && cat sub/data/x.csv', new GirderFolderIdToVolume(top._id)),
    });
    const watched = watch(run);
    await run.get();
    const lines = watched.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^/mnt/girder_worker/[0-9a-f]{32}/${top._id}/tree$`));
    expect(lines.slice(1)).toEqual([
      '.',
      './readme.md',
      './sub',
      './sub/data',
      './sub/data/x.csv',
      './sub/deep',
      './sub/deep/empty.bin',
      '1,2',
    ]);
  });

  it('GirderFolderIdToVolume takes a folder name', async () => {
    girder.configure();
    const folder = girder.server.createFolder(girder.folder._id, 'named-in-girder');
    const run = dockerRun.delay(BUSYBOX, {
      ...sh('basename "$1"', new GirderFolderIdToVolume(folder._id, { folderName: 'mine' })),
    });
    const watched = watch(run);
    await run.get();
    expect(watched.stdout).toBe('mine\n');
  });

  it('GirderFileIdToStream streams a file into a named pipe, resuming after dropped connections', async () => {
    girder.configure();
    const { item } = girder.item('big');
    const file = girder.server.createFile(item._id, 'big.bin', { size: 24 * MiB, seed: 7 });
    const expected = createHash('sha256')
      .update(await girder.server.fileContents(file._id))
      .digest('hex');
    girder.server.faults.dropDownload(file._id, 5 * MiB + 17, 2);
    girder.server.clearRequests();
    const run = dockerRun.delay(BUSYBOX, {
      ...sh(
        'sha256sum < "$1" | cut -d" " -f1',
        new Connect(new GirderFileIdToStream(file._id), new NamedInputPipe('in')),
      ),
    });
    const watched = watch(run);
    await run.get();
    expect(watched.stdout.trim()).toBe(expected);
    const downloads = girder.server.requests.filter((r) => r.path === `/file/${file._id}/download`);
    expect(downloads).toHaveLength(3);
    expect(downloads[0]?.headers.range).toBeUndefined();
    expect(downloads[1]?.headers.range).toMatch(/^bytes=\d+-$/);
    expect(downloads[2]?.headers.range).toMatch(/^bytes=\d+-$/);
  });

  it('a file larger than the pipe streams at constant memory', async () => {
    girder.configure();
    const { item } = girder.item('huge');
    const file = girder.server.createFile(item._id, 'huge.bin', { size: 256 * MiB, seed: 3 });
    const before = process.memoryUsage().rss;
    const run = dockerRun.delay(BUSYBOX, {
      ...sh('wc -c < "$1"', new Connect(new GirderFileIdToStream(file._id), new NamedInputPipe('in'))),
    });
    const watched = watch(run);
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      await run.get();
    } finally {
      clearInterval(timer);
    }
    expect(watched.stdout.trim()).toBe(String(256 * MiB));
    expect(peak - before).toBeLessThan(100 * MiB);
  });
});

describe('bad Girder input', () => {
  it('refuses malformed ids when the transform is made', () => {
    const error = thrown(() => new GirderFileIdToVolume('not-an-id')) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect([error.field, error.value]).toEqual(['fileId', 'not-an-id']);
    expect((thrown(() => new GirderItemIdToVolume('')) as ValidationError).field).toBe('itemId');
    expect(
      (thrown(() => new GirderFolderIdToVolume('5f00', { folderName: 'a/b' })) as ValidationError).field,
    ).toBe('folderId');
    expect(
      (
        thrown(
          () => new GirderFileIdToVolume('5f0000000000000000000001', { filename: '../x' }),
        ) as ValidationError
      ).field,
    ).toBe('filename');
    expect((thrown(() => new GirderFileIdToStream(42 as unknown as string)) as ValidationError).field).toBe(
      'fileId',
    );
  });

  it('a file that does not exist fails the task before its container starts', async () => {
    girder.configure();
    const missing = '5f00000000000000000000aa';
    const run = dockerRun.delay(BUSYBOX, { ...sh('echo ran', new GirderFileIdToVolume(missing)) });
    const phases = phasesOf(run);
    const error = (await rejection(run.get())) as GirderHttpError;
    expect(error).toBeInstanceOf(GirderHttpError);
    expect(error.message).toContain(`read file ${missing}`);
    expect(error.status).toBe(400);
    expect(phases).not.toContain('running');
  });

  it('an item or folder that does not exist, and a streamed file that does not exist, fail before the container', async () => {
    girder.configure();
    for (const transform of [
      new GirderItemIdToVolume('5f00000000000000000000ab'),
      new GirderFolderIdToVolume('5f00000000000000000000ac'),
      new Connect(new GirderFileIdToStream('5f00000000000000000000ad'), new NamedInputPipe('in')),
    ]) {
      const run = dockerRun.delay(BUSYBOX, { ...sh('echo ran', transform) });
      const phases = phasesOf(run);
      const error = (await rejection(run.get())) as GirderHttpError;
      expect(error).toBeInstanceOf(GirderHttpError);
      expect(error.message).toMatch(/5f00000000000000000000a[bcd]/);
      expect(phases).not.toContain('running');
    }
  });

  it('a token Girder refuses: 401, and the token appears nowhere', async () => {
    const token = 'expired-token-0123456789';
    girder.configure({ token });
    const { files } = girder.item('secret', { 's.txt': 's' });
    const run = dockerRun.delay(BUSYBOX, { ...sh('echo ran', new GirderFileIdToVolume(files[0]!._id)) });
    const watched = watch(run);
    const error = (await rejection(run.get())) as GirderHttpError;
    expect(error.status).toBe(401);
    expect(error.message).not.toContain(token);
    expect(JSON.stringify({ ...error, stack: error.stack })).not.toContain(token);
    expect(watched.warnings.join('\n')).not.toContain(token);
  });

  it('without any Girder configured, a Girder transform fails with a GirderConfigError', async () => {
    const run = dockerRun.delay(BUSYBOX, {
      ...sh('echo ran', new GirderFileIdToVolume('5f0000000000000000000001')),
    });
    const error = await rejection(run.get());
    expect(error).toBeInstanceOf(GirderConfigError);
    expect((error as GirderConfigError).code).toBe('ERR_GIRDER_CONFIG');
  });

  it('a download cut more often than the retries allow fails with a transfer error', async () => {
    girder.configure({ retries: 1 });
    const { item } = girder.item('flaky');
    const file = girder.server.createFile(item._id, 'flaky.bin', { size: 4 * MiB, seed: 1 });
    girder.server.faults.dropDownload(file._id, MiB, 5);
    const run = dockerRun.delay(BUSYBOX, {
      ...sh('cat "$1" > /dev/null', new GirderFileIdToVolume(file._id)),
    });
    const error = (await rejection(run.get())) as Error & { code: string };
    expect(error.code).toBe('ERR_GIRDER_TRANSFER');
    expect(error.message).toContain(file._id);
  });
});
