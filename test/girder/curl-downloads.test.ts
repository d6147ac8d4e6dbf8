// GirderFileIdToStream into a FIFO over HTTPS: a curl child writes the body straight into the pipe,
// with the token on its stdin (never in argv), and every judgement left to longshore: redirects
// (the token stays with Girder), resumption with Range after a drop or a stall, an error answer
// or an expired signature asked again through Node's client. Nothing is left behind.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyDirectly } from '../../src/direct-io/direct-copy.js';
import { openFileDownload } from '../../src/girder/download/file-download.js';
import { StreamError } from '../../src/core/errors.js';
import { GirderHttpError, GirderTransferError } from '../../src/girder/errors.js';
import { GirderClient } from '../../src/girder/girder-client.js';
import { openFifoWriter } from '../../src/streams/fifo-writer.js';
import { makeFifo } from '../../src/streams/make-fifo.js';
import { expectFdsBackTo, liveChildProcesses, liveChildren, openFdCount } from '../helpers/leaks.js';
import { testCa } from '../helpers/test-ca.js';
import { waitFor } from '../helpers/wait-for.js';
import { useGirder } from './helpers/girder.js';

const MiB = 1024 * 1024;
const girder = useGirder(async () => {
  const ca = await testCa();
  return { tls: ca, objectStore: { tls: ca, redirectStatus: 303 } };
});
let dir: string;
let ca = '';
let count = 0;

beforeAll(async () => {
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'longshore-curl-'));
  ca = (await testCa()).caPem;
  await new Promise<void>((resolve) => spawn('true').once('close', () => resolve()));
});
afterAll(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
});

function client(timeoutMs = 10_000): GirderClient {
  return new GirderClient({
    apiUrl: girder.server.apiUrl,
    token: girder.token,
    ca,
    retryDelayMs: 20,
    timeoutMs,
  });
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
): Promise<{ fifo: string; exited: AbortSignal; stdout: Promise<string> }> {
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
  return { fifo, exited: exited.signal, stdout };
}

async function download(
  file: { _id: string; name: string; size: number },
  script = 'sha256sum < "$1" | cut -d" " -f1',
  timeoutMs?: number,
) {
  const container = await reader(script);
  const sink = await openFifoWriter(container.fifo, { containerExited: container.exited });
  const result = await copyDirectly(openFileDownload(client(timeoutMs), file), sink!);
  return { result, stdout: await container.stdout };
}

const store = () => girder.server.objectStore!;
const atStore = (fileId: string) => store().requests.filter((r) => r.key === fileId);

describe('GirderFileIdToStream into a FIFO over HTTPS, by curl', () => {
  it('moves every byte by curl, through the redirect, the token never in argv nor sent to the store', async () => {
    const fdsBefore = openFdCount();
    const { file, sha256 } = await newFile(24 * MiB + 5);
    store().stallDownload(file._id, MiB, 400);
    const running = download(file);
    await waitFor(() => liveChildren().includes('curl'));
    for (const child of liveChildProcesses()) expect(child.args.join(' ')).not.toContain(girder.token);
    const { result, stdout } = await running;
    expect(result).toEqual({ endedEarly: false, path: 'curl', bytes: file.size });
    expect(stdout).toBe(sha256);
    for (const request of atStore(file._id)) expect(request.headers['girder-token']).toBeUndefined();
    expect(liveChildren()).toEqual([]);
    await expectFdsBackTo(fdsBefore);
  });

  it('resumes with Range at the store after dropped connections, to the last byte', async () => {
    const { file, sha256 } = await newFile(16 * MiB);
    store().dropDownload(file._id, 3 * MiB + 11, 2);
    const { result, stdout } = await download(file);
    expect(result).toMatchObject({ endedEarly: false, path: 'curl' });
    expect(stdout).toBe(sha256);
    expect(atStore(file._id).map((r) => r.headers.range)).toEqual([
      undefined,
      'bytes=3145739-',
      'bytes=6291478-',
    ]);
  });

  it('gives up on a store silent for longer than the timeout and resumes', async () => {
    const { file, sha256 } = await newFile(4 * MiB);
    store().stallDownload(file._id, MiB + 1, 20_000);
    const started = Date.now();
    const { result, stdout } = await download(file, undefined, 1000);
    expect(result).toMatchObject({ endedEarly: false, path: 'curl' });
    // curl judges speed over its last ~5 s: a 1 s limit notices a silence within about 6 s.
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(stdout).toBe(sha256);
    expect(atStore(file._id).map((r) => r.headers.range)).toEqual([undefined, `bytes=${MiB + 1}-`]);
  });

  it('asks Girder for a new signed URL through Node when the store refuses the old one', async () => {
    const { file, sha256 } = await newFile(3 * MiB);
    store().dropDownload(file._id, MiB);
    const downloading = download(file);
    await waitFor(() => atStore(file._id).length >= 1);
    store().expireSignatures();
    const { result, stdout } = await downloading;
    expect(stdout).toBe(sha256);
    expect(result).toMatchObject({ endedEarly: false, path: 'node' });
    expect(atStore(file._id).map((r) => r.status)).toEqual([200, 403, 403, 206]);
  });

  it("fails with Girder's own error, read through Node, when curl meets an error answer", async () => {
    const { file } = await newFile(MiB);
    girder.server.faults.failNext({ path: /\/download$/ }, 403, 2);
    const error = (await download(file).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(StreamError);
    expect(error.cause).toBeInstanceOf(GirderHttpError);
    expect(error.cause).toMatchObject({ status: 403, girderMessage: 'Access denied.' });
    expect(error.message).toContain(file._id);
    expect(error.message).not.toContain(girder.token);
    expect(liveChildren()).toEqual([]);
  });

  it('hands an answer it cannot take as bytes (a redirect without a Location) to Node, which names it', async () => {
    const { file } = await newFile(MiB);
    girder.server.faults.redirectDownload(file._id, undefined, 302, 2);
    const error = (await download(file, 'cat "$1" > /dev/null').catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(StreamError);
    expect(error.cause).toBeInstanceOf(GirderTransferError);
    expect(error.message).toMatch(
      new RegExp(`download file ${file._id}.*a redirect came without a Location`),
    );
    expect(liveChildren()).toEqual([]);
  });

  it('ends early, without an error, when the container stops reading', async () => {
    const fdsBefore = openFdCount();
    const { file } = await newFile(32 * MiB);
    const { result, stdout } = await download(file, 'head -c 1000 "$1" | wc -c');
    expect(result).toMatchObject({ endedEarly: true });
    expect(stdout).toBe('1000');
    expect(liveChildren()).toEqual([]);
    await expectFdsBackTo(fdsBefore);
  });
});
