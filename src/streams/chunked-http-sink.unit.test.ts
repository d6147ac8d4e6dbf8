import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamError } from '../core/errors.js';
import { openChunkedHttpSink } from './chunked-http-sink.js';
import { pump } from './pump.js';

const MiB = 1024 * 1024;

interface Received {
  headers: http.IncomingHttpHeaders;
  digest: string;
  bytes: number;
}

let servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  servers = [];
});

/** A server that reads the whole body, then answers with `status`; or answers at once if `early`. */
async function startServer(
  status: number,
  options: { early?: boolean } = {},
): Promise<{ url: string; received: Promise<Received> }> {
  let deliver!: (received: Received) => void;
  const received = new Promise<Received>((resolve) => (deliver = resolve));
  const server = http.createServer((request, response) => {
    const answer = (): void => {
      response.writeHead(status, status === 302 ? { location: 'http://127.0.0.1:1/elsewhere' } : {});
      response.end(status >= 400 ? 'Access denied for this folder' : '');
    };
    if (options.early) return answer();
    const hash = createHash('sha256');
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    request.on('end', () => {
      deliver({ headers: request.headers, digest: hash.digest('hex'), bytes });
      answer();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`, received };
}

function randomSource(total: number): { stream: Readable; digest: () => string } {
  const block = randomBytes(MiB);
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const chunk = block.subarray(0, Math.min(MiB, total - sent));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

const openFds = (): number => fs.readdirSync('/proc/self/fd').length;

/** Sockets of earlier tests close asynchronously: wait until the count holds still. */
async function settledFds(): Promise<number> {
  let count = openFds();
  for (let stable = 0; stable < 5;) {
    await new Promise((r) => setTimeout(r, 10));
    const now = openFds();
    stable = now === count ? stable + 1 : 0;
    count = now;
  }
  return count;
}

describe('openChunkedHttpSink', () => {
  it('uploads every byte with chunked transfer encoding', async () => {
    const { url, received } = await startServer(200);
    const total = 64 * MiB + 123;
    const source = randomSource(total);
    const sink = openChunkedHttpSink(url, { 'Girder-Token': 'tok-123456', 'Content-Length': '5' });
    const started = performance.now();
    const result = await pump(source.stream, sink);
    const elapsed = performance.now() - started;
    const got = await received;
    expect(result).toEqual({ bytes: total, endedEarly: false });
    expect(got.bytes).toBe(total);
    expect(got.digest).toBe(source.digest());
    expect(got.headers['transfer-encoding']).toBe('chunked');
    expect(got.headers['content-length']).toBeUndefined();
    expect(got.headers['girder-token']).toBe('tok-123456');
    console.warn(`chunked upload: ${((total / MiB / elapsed) * 1000).toFixed(0)} MiB/s`);
  });

  it('finishes only after the server has answered', async () => {
    const { url } = await startServer(200);
    const sink = openChunkedHttpSink(url, {});
    let finished = false;
    sink.on('finish', () => (finished = true));
    await new Promise<void>((resolve) => sink.end('x', resolve));
    expect(finished).toBe(true);
  });

  it('fails on a redirect, naming the status', async () => {
    const { url } = await startServer(302);
    const error = await pump(randomSource(MiB).stream, openChunkedHttpSink(url, {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toMatch(/Redirects are not supported/);
    expect((error as Error).message).toMatch(/302/);
  });

  it('fails on an error answer with the status and the start of the body', async () => {
    const { url } = await startServer(500);
    const error = await pump(randomSource(MiB).stream, openChunkedHttpSink(url, {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toMatch(/answered 500 Internal Server Error: Access denied/);
  });

  it('fails when the server refuses before reading the whole body', async () => {
    const { url } = await startServer(403, { early: true });
    const error = await pump(randomSource(256 * MiB).stream, openChunkedHttpSink(url, {})).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toMatch(/403/);
  });

  it('never shows the password of the URL nor header values', async () => {
    const { url, received } = await startServer(500);
    const withCredentials = url.replace('http://', 'http://alice:hunter2-secret@');
    const sink = openChunkedHttpSink(withCredentials, { 'Girder-Token': 'token-value-xyz' });
    const error = await pump(randomSource(1000).stream, sink).catch((e: unknown) => e);
    const message = (error as Error).message;
    expect(message).toContain('http://alice:**@127.0.0.1');
    expect(message).not.toContain('hunter2-secret');
    expect(message).not.toContain('token-value-xyz');
    const authorization = (await received).headers.authorization;
    expect(authorization).toBe(`Basic ${Buffer.from('alice:hunter2-secret').toString('base64')}`);
  });

  it('turns connection errors into a StreamError', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const error = await pump(
      randomSource(10).stream,
      openChunkedHttpSink(`http://127.0.0.1:${port}/`, {}),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('is cancelled by its signal', async () => {
    const { url } = await startServer(200);
    const controller = new AbortController();
    const sink = openChunkedHttpSink(url, {}, { signal: controller.signal });
    const source = new Readable({ read() {} });
    const pumping = pump(source, sink);
    source.push('partial');
    controller.abort(new Error('task cancelled'));
    await expect(pumping).rejects.toThrow(/task cancelled/);
  });

  it('rejects URLs it cannot upload to', () => {
    expect(() => openChunkedHttpSink('ftp://example.com/x', {})).toThrow(StreamError);
    expect(() => openChunkedHttpSink('not a url', {})).toThrow(StreamError);
  });

  it('leaves no descriptor open', async () => {
    const before = await settledFds();
    for (const status of [200, 500]) {
      const { url } = await startServer(status);
      await pump(randomSource(MiB).stream, openChunkedHttpSink(url, {})).catch(() => undefined);
    }
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    servers = [];
    expect(await settledFds()).toBe(before);
  });
});
