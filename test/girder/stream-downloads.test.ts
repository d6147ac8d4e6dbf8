// GirderFileIdToStream's data path into a FIFO: over plain HTTP each connection's body is spliced
// from the socket into the pipe by a perl child; these check that path byte for byte against the
// test server's faults (drops, stalls, a proxy's chunked framing, error answers), and that it
// leaves no child, descriptor or stream behind whichever way it ends.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamError } from '../../src/core/errors.js';
import { openFileDownload } from '../../src/girder/download/file-download.js';
import { GirderHttpError } from '../../src/girder/errors.js';
import { GirderClient } from '../../src/girder/girder-client.js';
import { copyDirectly } from '../../src/direct-io/direct-copy.js';
import { openFifoWriter } from '../../src/streams/fifo-writer.js';
import { makeFifo } from '../../src/streams/make-fifo.js';
import { expectFdsBackTo, liveChildScripts, liveChildren, openFdCount } from '../helpers/leaks.js';
import { waitFor } from '../helpers/wait-for.js';
import { useGirder } from './helpers/girder.js';

const MiB = 1024 * 1024;
const girder = useGirder();
let dir: string;
let count = 0;

beforeAll(async () => {
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'longshore-splice-'));
  // The first child makes libuv open its signal pipe for good: keep it out of the fd counts.
  await new Promise<void>((resolve) => spawn('true').once('close', () => resolve()));
});
afterAll(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
});

function client(timeoutMs = 10_000): GirderClient {
  return new GirderClient({ apiUrl: girder.server.apiUrl, token: girder.token, retryDelayMs: 20, timeoutMs });
}

async function newFile(
  size: number,
): Promise<{ file: { _id: string; name: string; size: number }; sha256: string }> {
  const { item } = girder.item(`item-${count++}`);
  const file = girder.server.createFile(item._id, 'data.bin', { size, seed: count });
  const sha256 = createHash('sha256')
    .update(await girder.server.fileContents(file._id))
    .digest('hex');
  return { file: { _id: file._id, name: 'data.bin', size }, sha256 };
}

/** A stand-in for the container: a shell that reads the FIFO (its $1). */
async function reader(
  script: string,
): Promise<{ fifo: string; exited: AbortSignal; stdout: Promise<string>; kill: () => void }> {
  const fifo = path.join(dir, `pipe-${count++}`);
  await makeFifo(fifo);
  const exited = new AbortController();
  const child = spawn('sh', ['-c', script, 'sh', fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  const stdout = new Promise<string>((resolve) =>
    child.once('close', () => {
      exited.abort();
      resolve(out.trim());
    }),
  );
  return { fifo, exited: exited.signal, stdout, kill: () => child.kill() };
}

const downloads = (fileId: string) =>
  girder.server.requests.filter((r) => r.path === `/file/${fileId}/download`);

describe('GirderFileIdToStream into a FIFO, by splice', () => {
  it('moves every byte without reading one in Node, leaving no child or descriptor', async () => {
    const fdsBefore = openFdCount();
    const { file, sha256 } = await newFile(24 * MiB + 5);
    const container = await reader('sha256sum < "$1" | cut -d" " -f1');
    const source = openFileDownload(client(), file);
    const sink = await openFifoWriter(container.fifo, { containerExited: container.exited });
    expect(await copyDirectly(source, sink!)).toEqual({
      endedEarly: false,
      path: 'splice',
      bytes: file.size,
    });
    expect(await container.stdout).toBe(sha256);
    expect(source.readableDidRead).toBe(false);
    expect(source.destroyed && sink!.destroyed).toBe(true);
    expect(liveChildren()).toEqual([]);
    await expectFdsBackTo(fdsBefore);
  });

  it('resumes from the last byte in the pipe after dropped connections', async () => {
    const { file, sha256 } = await newFile(16 * MiB);
    girder.server.faults.dropDownload(file._id, 3 * MiB + 11, 2);
    girder.server.clearRequests();
    const container = await reader('sha256sum < "$1" | cut -d" " -f1');
    const sink = await openFifoWriter(container.fifo, { containerExited: container.exited });
    expect(await copyDirectly(openFileDownload(client(), file), sink!)).toMatchObject({ endedEarly: false });
    expect(await container.stdout).toBe(sha256);
    const ranges = downloads(file._id).map((r) => r.headers.range);
    expect(ranges).toEqual([undefined, 'bytes=3145739-', 'bytes=6291478-']);
  });

  it('gives up on a connection silent for longer than the timeout and resumes it', async () => {
    const { file, sha256 } = await newFile(4 * MiB);
    girder.server.faults.stallDownload(file._id, MiB + 1, 5000);
    girder.server.clearRequests();
    const container = await reader('sha256sum < "$1" | cut -d" " -f1');
    const sink = await openFifoWriter(container.fifo, { containerExited: container.exited });
    const started = Date.now();
    expect(await copyDirectly(openFileDownload(client(400), file), sink!)).toMatchObject({
      endedEarly: false,
    });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await container.stdout).toBe(sha256);
    expect(downloads(file._id).map((r) => r.headers.range)).toEqual([undefined, `bytes=${MiB + 1}-`]);
  });

  it("takes a proxy's chunked answer through Node's client instead", async () => {
    const { file, sha256 } = await newFile(6 * MiB + 1);
    girder.server.faults.chunkDownload(file._id, 2);
    girder.server.clearRequests();
    const container = await reader('sha256sum < "$1" | cut -d" " -f1');
    const sink = await openFifoWriter(container.fifo, { containerExited: container.exited });
    expect(await copyDirectly(openFileDownload(client(), file), sink!)).toEqual({
      endedEarly: false,
      path: 'node',
      bytes: file.size,
    });
    expect(await container.stdout).toBe(sha256);
    // The spliced attempt saw the chunked head and let go; Node's took it from byte 0.
    expect(downloads(file._id).map((r) => r.headers.range)).toEqual([undefined, undefined]);
  });

  it('ends early, as pump does, when the container stops reading', async () => {
    const fdsBefore = openFdCount();
    const { file } = await newFile(32 * MiB);
    const container = await reader('head -c 1000 "$1" | wc -c');
    const sink = await openFifoWriter(container.fifo, { containerExited: container.exited });
    expect(await copyDirectly(openFileDownload(client(), file), sink!)).toMatchObject({ endedEarly: true });
    expect(await container.stdout).toBe('1000');
    expect(liveChildren()).toEqual([]);
    await expectFdsBackTo(fdsBefore);
  });

  it('cancelling kills the splice child and fails the copy', async () => {
    const fdsBefore = openFdCount();
    const { file } = await newFile(32 * MiB);
    // Opens the pipe and never reads: the splice waits for room until cancelled.
    const container = await reader('exec 3< "$1"; exec sleep 30');
    const sink = await openFifoWriter(container.fifo, { containerExited: container.exited });
    const cancel = new AbortController();
    const copying = copyDirectly(openFileDownload(client(), file), sink!, cancel.signal);
    // The splice child is up and the reader idles: the copy can only wait for room now.
    // The pipe grower is a perl child too, for a moment: wait for the splice child itself.
    await waitFor(() => liveChildScripts().includes('splice.pl') && liveChildren().includes('sleep'));
    expect(liveChildren()).toContain('perl');
    cancel.abort(new Error('cancelled by the test'));
    const error = await copying.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toContain('cancelled by the test');
    expect(liveChildren()).toEqual(['sleep']);
    container.kill();
    await container.stdout;
    await expectFdsBackTo(fdsBefore);
  });

  it("fails with Girder's own message on an error answer, and retries a 5xx", async () => {
    const { file, sha256 } = await newFile(MiB);
    const match = { method: 'GET', path: new RegExp(`/file/${file._id}/download$`) };
    girder.server.faults.failNext(match, 503, 1);
    const ok = await reader('sha256sum < "$1" | cut -d" " -f1');
    const sink = await openFifoWriter(ok.fifo, { containerExited: ok.exited });
    expect(await copyDirectly(openFileDownload(client(), file), sink!)).toMatchObject({ endedEarly: false });
    expect(await ok.stdout).toBe(sha256);

    girder.server.faults.failNext(match, 403, 1);
    const denied = await reader('cat "$1" | wc -c');
    const sink2 = await openFifoWriter(denied.fifo, { containerExited: denied.exited });
    const error = await copyDirectly(openFileDownload(client(), file), sink2!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).cause).toBeInstanceOf(GirderHttpError);
    expect((error as Error).cause).toMatchObject({ status: 403, girderMessage: 'Access denied.' });
    expect((error as Error).message).not.toContain(girder.token);
    expect(await denied.stdout).toBe('0');
  });

  it('an empty file ends the pipe at once', async () => {
    const { file } = await newFile(0);
    const container = await reader('wc -c < "$1"');
    const sink = await openFifoWriter(container.fifo, { containerExited: container.exited });
    expect(await copyDirectly(openFileDownload(client(), file), sink!)).toMatchObject({ endedEarly: false });
    expect(await container.stdout).toBe('0');
  });
});
