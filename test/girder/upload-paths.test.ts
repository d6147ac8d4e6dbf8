// A host file's way into Girder over plain HTTP: its chunks leave by sendfile, on one kept
// connection fed by one perl child. These check the bytes, the connection reuse, a file that
// changes under the upload, Girder's refusals, cancellation, and that no child or descriptor
// outlives an upload whichever way it ends.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GirderHttpError } from '../../src/girder/errors.js';
import { GirderClient } from '../../src/girder/girder-client.js';
import { uploadFileToItem } from '../../src/girder/upload/upload-file-to-item.js';
import { GirderUploadError } from '../../src/girder/upload/upload-error.js';
import { KnownSizeUploadSink } from '../../src/girder/upload/known-size-upload-sink.js';
import { copyDirectly } from '../../src/direct-io/direct-copy.js';
import { openFifoReader } from '../../src/streams/fifo-reader.js';
import { makeFifo } from '../../src/streams/make-fifo.js';
import { liveChildScripts, liveChildren } from '../helpers/leaks.js';
import { waitFor } from '../helpers/wait-for.js';
import { useGirder } from './helpers/girder.js';

const MiB = 1024 * 1024;
const girder = useGirder();
let dir: string;
let count = 0;

beforeAll(async () => {
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'longshore-sendfile-'));
  // The first child makes libuv open its signal pipe for good: keep it out of the fd counts.
  await new Promise<void>((resolve) => spawn('true').once('close', () => resolve()));
});
afterAll(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
});

/** 5 MiB chunks, Girder's minimum: a few MiB make several chunks. */
function client(): GirderClient {
  return new GirderClient({
    apiUrl: girder.server.apiUrl,
    token: girder.token,
    retryDelayMs: 20,
    chunkSize: 5 * MiB,
  });
}

async function hostFile(size: number): Promise<{ file: string; data: Buffer }> {
  const file = path.join(dir, `file-${count++}.bin`);
  const data = randomBytes(size);
  await fs.promises.writeFile(file, data);
  return { file, data };
}

const chunkRequests = () => girder.server.requests.filter((r) => r.path === '/file/chunk');

/** Whether a TCP connection from this local port is still established (/proc/net/tcp, state 01). */
function established(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((table) =>
    fs
      .readFileSync(table, 'utf8')
      .split('\n')
      .slice(1)
      .some((line) => {
        const [, local = '', , state] = line.trim().split(/\s+/);
        return local.endsWith(hex) && state === '01';
      }),
  );
}

/** The upload's kept connection is closed once the upload is over. */
async function expectClosed(port: number | undefined): Promise<void> {
  expect(port).toBeDefined();
  for (let i = 0; i < 100 && established(port!); i++) await new Promise((r) => setTimeout(r, 20));
  expect(established(port!)).toBe(false);
}

/**
 * No descriptor but sockets is left: the API client's keep-alive connection to the in-process
 * test server (two sockets, one per end) legitimately outlives a test; the upload's own connection
 * is checked by expectClosed.
 */
async function expectNoLeakedFds(before: { other: number }): Promise<void> {
  for (let i = 0; i < 100 && fdsBy().other > before.other; i++) await new Promise((r) => setTimeout(r, 20));
  expect(fdsBy().other).toBeLessThanOrEqual(before.other);
}

function fdsBy(): { other: number } {
  let other = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (!fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) other += 1;
    } catch {
      // closed meanwhile
    }
  }
  return { other };
}

async function noChildLeft(): Promise<void> {
  for (let i = 0; i < 100 && liveChildren().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  expect(liveChildren()).toEqual([]);
}

describe('a host file into Girder, by sendfile', () => {
  it('sends every chunk on one connection, byte for byte, leaving no child or descriptor', async () => {
    const fdsBefore = fdsBy();
    const { file, data } = await hostFile(17 * MiB + 3);
    const { item } = girder.item(`sendfile-${count++}`);
    girder.server.clearRequests();
    const uploaded = await uploadFileToItem(client(), item._id, file);
    // equals(), not toEqual: a deep comparison of megabytes walks every index.
    expect((await girder.server.fileContents(uploaded.fileId)).equals(data)).toBe(true);
    const chunks = chunkRequests();
    expect(chunks.map((r) => Number(r.query.offset))).toEqual([0, 5 * MiB, 10 * MiB, 15 * MiB]);
    expect(new Set(chunks.map((r) => r.remotePort)).size).toBe(1);
    await noChildLeft();
    await expectClosed(chunks[0]?.remotePort);
    await expectNoLeakedFds(fdsBefore);
  });

  it('resumes a chunk broken by a 5xx from the offset Girder reports, on a new connection', async () => {
    const { file, data } = await hostFile(12 * MiB);
    const { item } = girder.item(`sendfile-${count++}`);
    girder.server.clearRequests();
    // The second chunk request is refused with a 503 (after its body was drained).
    const match = { method: 'POST', path: /^\/file\/chunk$/ };
    const uploading = uploadFileToItem(client(), item._id, file);
    // Every millisecond: the fault must be set between the first chunk's request and the second's.
    await waitFor(() => chunkRequests().length >= 1, { intervalMs: 1 });
    girder.server.faults.failNext(match, 503, 1);
    const uploaded = await uploading;
    // equals(), not toEqual: a deep comparison of megabytes walks every index.
    expect((await girder.server.fileContents(uploaded.fileId)).equals(data)).toBe(true);
    const ports = chunkRequests().map((r) => r.remotePort);
    expect(new Set(ports).size).toBeGreaterThan(1);
    expect(girder.server.requests.some((r) => r.path === '/file/offset')).toBe(true);
    await noChildLeft();
  });

  it('a file that shrinks during the upload fails it, naming the file', async () => {
    const { file } = await hostFile(12 * MiB);
    const { item } = girder.item(`sendfile-${count++}`);
    // The first chunk is held back while the file is cut short under it.
    girder.server.faults.delay({ method: 'POST', path: /^\/file\/chunk$/ }, 400, 1);
    const chunksBefore = chunkRequests().length;
    const uploading = uploadFileToItem(client(), item._id, file).catch((e: unknown) => e);
    await waitFor(() => chunkRequests().length > chunksBefore);
    await fs.promises.truncate(file, 2 * MiB + 3);
    const error = await uploading;
    expect(error).toBeInstanceOf(GirderUploadError);
    expect((error as Error).message).toContain(`${file} changed during the upload`);
    expect((error as Error).message).not.toContain(girder.token);
    await noChildLeft();
  });

  it("a chunk Girder refuses fails with Girder's own message", async () => {
    const { file } = await hostFile(8 * MiB);
    const { item } = girder.item(`sendfile-${count++}`);
    girder.server.faults.failNext({ method: 'POST', path: /^\/file\/chunk$/ }, 403, 1);
    const error = await uploadFileToItem(client(), item._id, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GirderHttpError);
    expect(error).toMatchObject({ status: 403, girderMessage: 'Access denied.', path: 'file/chunk' });
    await noChildLeft();
  });

  it('cancelling stops the upload and its child at once', async () => {
    const fdsBefore = fdsBy();
    const { file } = await hostFile(16 * MiB);
    const { item } = girder.item(`sendfile-${count++}`);
    girder.server.clearRequests();
    girder.server.faults.delay({ method: 'POST', path: /^\/file\/chunk$/ }, 5000, 1);
    const cancel = new AbortController();
    const uploading = uploadFileToItem(client(), item._id, file, { signal: cancel.signal }).catch(
      (e: unknown) => e,
    );
    // The first chunk is on its way (and held by the server) when the upload is cancelled.
    await waitFor(() => chunkRequests().length > 0);
    const started = Date.now();
    cancel.abort(new Error('cancelled by the test'));
    const error = await uploading;
    expect(Date.now() - started).toBeLessThan(2000);
    expect((error as Error).message).toContain('cancelled by the test');
    await noChildLeft();
    await expectClosed(chunkRequests().at(-1)?.remotePort);
    await expectNoLeakedFds(fdsBefore);
  });
});

/**
 * A stand-in for the container: a shell writing the FIFO (its $1) from a host file ($2); the
 * signal aborts when it has exited, as the container's does.
 */
async function writer(
  script: string,
  source: string,
): Promise<{ fifo: string; exited: AbortSignal; kill: () => void }> {
  const fifo = path.join(dir, `pipe-${count++}`);
  await makeFifo(fifo);
  const exited = new AbortController();
  const child = spawn('sh', ['-c', script, 'sh', fifo, source], { stdio: 'ignore' });
  child.once('close', () => exited.abort());
  return { fifo, exited: exited.signal, kill: () => child.kill() };
}

async function streamUpload(
  script: string,
  source: string,
  size: number,
  signal = new AbortController().signal,
): Promise<{ result: unknown; sink: KnownSizeUploadSink; itemId: string; kill: () => void }> {
  const { item } = girder.item(`stream-${count++}`);
  const container = await writer(script, source);
  const sink = await KnownSizeUploadSink.open(
    client(),
    { parentType: 'item', parentId: item._id, name: 'out.bin', size },
    { signal, action: 'upload out.bin' },
  );
  const reader = await openFifoReader(container.fifo, { containerExited: container.exited });
  const result = await copyDirectly(reader, sink, signal).catch((e: unknown) => e);
  return { result, sink, itemId: item._id, kill: container.kill };
}

describe("a container's FIFO into Girder with a known size, by splice", () => {
  it('sends every byte without reading one in Node, on one connection', async () => {
    const fdsBefore = fdsBy();
    const { file, data } = await hostFile(13 * MiB + 5);
    girder.server.clearRequests();
    // Two sessions: the container closes its end once and opens it again.
    const { result, sink } = await streamUpload(
      'head -c 3000000 "$2" > "$1"; tail -c +3000001 "$2" > "$1"',
      file,
      data.length,
    );
    expect(result).toEqual({ endedEarly: false, path: 'splice', bytes: data.length });
    expect((await girder.server.fileContents(sink.file!._id)).equals(data)).toBe(true);
    const chunks = chunkRequests();
    expect(chunks).toHaveLength(3);
    expect(new Set(chunks.map((r) => r.remotePort)).size).toBe(1);
    await noChildLeft();
    await expectClosed(chunks[0]?.remotePort);
    await expectNoLeakedFds(fdsBefore);
  });

  it('a stream shorter than announced fails and drops the upload', async () => {
    const { file } = await hostFile(7 * MiB);
    girder.server.clearRequests();
    const { result, itemId } = await streamUpload('cat "$2" > "$1"', file, 9 * MiB);
    expect(String((result as Error).cause ?? result)).toContain(
      'the stream ended after 7340032 of the 9437184 bytes',
    );
    expect(girder.server.listFiles(itemId)).toEqual([]);
    // The sink drops the unfinished upload as it is destroyed, just after the copy failed.
    const dropped = () =>
      girder.server.requests.some((r) => r.method === 'DELETE' && r.path.startsWith('/file/upload/'));
    for (let i = 0; i < 100 && !dropped(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(dropped()).toBe(true);
    await noChildLeft();
  });

  it('a stream longer than announced leaves no file', async () => {
    const { file } = await hostFile(6 * MiB);
    const { result, itemId } = await streamUpload(
      'cat "$2" > "$1"; sleep 0.2; echo more > "$1"',
      file,
      6 * MiB,
    );
    expect(String((result as Error).cause ?? result)).toContain('longer than the 6291456 bytes announced');
    expect(girder.server.listFiles(itemId)).toEqual([]);
    await noChildLeft();
  });

  it('cancelling stops the upload and its child at once', async () => {
    const { file } = await hostFile(6 * MiB);
    const cancel = new AbortController();
    // The container writes a little, then nothing for a long while.
    const uploading = streamUpload(
      'exec 3> "$1"; head -c 1000 "$2" >&3; exec sleep 30',
      file,
      6 * MiB,
      cancel.signal,
    );
    // The feeder child waits on the pipe, and the container has gone quiet.
    // The pipe grower is a perl child too, for a moment: wait for the feeder child itself.
    await waitFor(() => liveChildScripts().includes('feeder.pl') && liveChildren().includes('sleep'));
    cancel.abort(new Error('cancelled by the test'));
    const { result, kill } = await uploading;
    expect(String((result as Error).cause ?? result)).toContain('cancelled by the test');
    expect(liveChildren()).toEqual(['sleep']);
    kill();
    await noChildLeft();
  });
});
