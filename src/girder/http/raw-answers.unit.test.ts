import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KeptConnection } from '../../direct-io/kept-connection.js';
import { GirderHttpError } from '../errors.js';
import { isRetryable, type GirderRequest, type HttpPolicy } from './girder-http.js';
import { sendForSocket } from './socket-body.js';
import { sendWithBodyWriter } from './socket-request.js';

// Girder's answers as raw bytes from a loopback server, in as many reads as the test likes: what
// the hand-written head and body framing of the raw requests must survive.

/** How the server answers: pieces written one by one, a pause between them; then it may close. */
interface Script {
  pieces: (string | Buffer)[];
  close?: boolean;
}

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A server that reads each request (head, then Content-Length bytes) and answers by `script`. */
async function serve(script: Script): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    let bytes = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      const end = bytes.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = bytes.subarray(0, end).toString('latin1');
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (bytes.length < end + 4 + length) return;
      requests.push(head);
      bytes = bytes.subarray(end + 4 + length);
      void answer(socket, script);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v1`, requests };
}

async function answer(socket: net.Socket, script: Script): Promise<void> {
  for (const piece of script.pieces) {
    if (socket.destroyed) return;
    socket.write(piece);
    // Separate reads on the other side: a pause, not just a write.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (script.close) socket.end();
}

/** Each byte of `text` as a piece of its own. */
const byteByByte = (text: string): string[] => [...text];

const policy: HttpPolicy = { timeoutMs: 3000, retries: 0, retryDelayMs: 1 };

function get(url: string): GirderRequest {
  return {
    method: 'GET',
    url: `${url}/file/abc/download`,
    path: 'file/abc/download',
    action: 'download file abc',
  };
}

function post(url: string): GirderRequest {
  return { method: 'POST', url: `${url}/file/chunk`, path: 'file/chunk', action: 'upload a chunk' };
}

const BODY = Buffer.from('chunk bytes!');
function bodyWriter(connection?: KeptConnection): Parameters<typeof sendWithBodyWriter>[2] {
  return {
    length: BODY.length,
    connection,
    write: (socket) =>
      new Promise<void>((resolve, reject) => socket.write(BODY, (e) => (e ? reject(e) : resolve()))),
  };
}

describe('a download left on its socket (sendForSocket)', () => {
  it('skips a 100 Continue and a 103 before the real answer, and stops reading at its head', async () => {
    const { url } = await serve({
      pieces: [
        'HTTP/1.1 100 Continue\r\n\r\n',
        'HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n',
        'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n',
        '0123456789',
      ],
    });
    const response = await sendForSocket(get(url), policy);
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ remaining: 10 - response.data!.buffered.length });
    expect(response.data!.buffered.length).toBe(0);
    response.data!.socket.destroy();
  });

  it('reads a head that arrives a byte at a time, with folded and oddly spaced fields', async () => {
    const head =
      'HTTP/1.1 206 Partial Content\r\nContent-Length: \t 3\t\r\nX-Folded: one\r\n two\r\nContent-Range: bytes 7-9/10\r\n\r\n';
    const { url } = await serve({ pieces: [...byteByByte(head), 'abc'] });
    const response = await sendForSocket(get(url), policy);
    expect(response.status).toBe(206);
    expect(response.headers['x-folded']).toBe('one two');
    expect(response.data).toMatchObject({ buffered: Buffer.alloc(0), remaining: 3 });
    response.data!.socket.destroy();
  });

  it('keeps body bytes that came with the head', async () => {
    const { url } = await serve({ pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc', 'def'] });
    const response = await sendForSocket(get(url), policy);
    expect(response.data!.buffered.toString()).toBe('abc');
    expect(response.data!.remaining).toBe(3);
    response.data!.socket.destroy();
  });

  it('refuses a huge head with a clear error that is not retried', async () => {
    const { url } = await serve({ pieces: ['HTTP/1.1 200 OK\r\n', `X-Pad: ${'a'.repeat(70_000)}\r\n\r\n`] });
    const error = await sendForSocket(get(url), policy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GirderHttpError);
    expect((error as GirderHttpError).message).toMatch(/no answer \(.*longer than 65536 bytes/);
    expect(isRetryable(error as GirderHttpError)).toBe(false);
  });

  it("gives Girder's message for an error answer whose body comes in pieces", async () => {
    const { url } = await serve({
      pieces: [
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 403 Forbidden\r\n',
        '\r\n{"message": "Read ',
        'access denied"}',
      ],
      close: true,
    });
    const error = await sendForSocket(get(url), policy).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403, girderMessage: 'Read access denied' });
  });

  it('leaves a chunked answer to Node (null data)', async () => {
    const { url } = await serve({
      pieces: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'],
    });
    expect((await sendForSocket(get(url), policy)).data).toBeNull();
  });

  it('names an answer that is not HTTP/1', async () => {
    const { url } = await serve({ pieces: ['SSH-2.0-OpenSSH\r\n\r\n'] });
    await expect(sendForSocket(get(url), policy)).rejects.toThrow(
      /no answer \(ERR_HTTP_MALFORMED: not an HTTP\/1 answer: "SSH-2.0-OpenSSH"\)/,
    );
  });
});

describe('a request whose body a writer puts on the socket (sendWithBodyWriter)', () => {
  it('skips a 100 Continue, reads the JSON by its length and keeps the connection', async () => {
    const { url, requests } = await serve({
      pieces: [
        'HTTP/1.1 100 Continue\r\n\r\n',
        'HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n',
        '{"offset":',
        '5}',
      ],
    });
    const connection = new KeptConnection();
    const response = await sendWithBodyWriter(post(url), policy, bodyWriter(connection));
    expect(response).toMatchObject({ status: 200, data: { offset: 5 } });
    expect(requests[0]).toMatch(/^POST \/api\/v1\/file\/chunk HTTP\/1.1\r\n/);
    const kept = connection.take();
    expect(kept).toBeDefined();
    kept!.destroy();
  });

  it('ends a chunked answer at its last chunk even when its last bytes arrive alone, trailers and all', async () => {
    for (const trailers of ['', 'X-Checksum: 1\r\n']) {
      const framed = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\n{"a":\r\n2\r\n1}\r\n0\r\n${trailers}`;
      // The server keeps the connection open: only the framing can say the answer is over.
      const { url } = await serve({ pieces: [framed, '\r', '\n'] });
      const started = Date.now();
      const response = await sendWithBodyWriter(post(url), policy, bodyWriter(new KeptConnection()));
      expect(response.data).toEqual({ a: 1 });
      expect(Date.now() - started).toBeLessThan(policy.timeoutMs / 2);
    }
  });

  it('reads a whole answer sent a byte at a time', async () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n';
    const { url } = await serve({ pieces: byteByByte(text) });
    expect((await sendWithBodyWriter(post(url), policy, bodyWriter())).data).toEqual({});
  });

  it('refuses a huge head at once, not at the timeout', async () => {
    const { url } = await serve({ pieces: ['HTTP/1.1 200 OK\r\n', `X-Pad: ${'a'.repeat(70_000)}`] });
    const started = Date.now();
    const error = await sendWithBodyWriter(post(url), policy, bodyWriter()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/longer than 65536 bytes/);
    expect(Date.now() - started).toBeLessThan(policy.timeoutMs / 2);
  });

  it("reports an early refusal over the broken write it causes, in Girder's words", async () => {
    const { url } = await serve({
      pieces: ['HTTP/1.1 400 Bad Request\r\nContent-Length: 27\r\n\r\n{"message": "Bad offset."}'],
      close: true,
    });
    // The server answers once it has the 10 bytes announced; the writer then fails, as a
    // feeder does when the server stops reading.
    const writer = {
      length: 10,
      write: async (socket: net.Socket): Promise<void> => {
        socket.write('0123456789');
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
      },
    };
    const error = await sendWithBodyWriter(post(url), policy, writer).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, girderMessage: 'Bad offset.' });
  });
});
