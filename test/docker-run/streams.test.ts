// Streams between the host and a real container: named pipes, Node streams, host files, the
// container's stdout, HTTP uploads, early and missing readers, and 1 GiB each way.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ChunkedTransferEncodingStream,
  Connect,
  ContainerStdErr,
  ContainerStdOut,
  HostFile,
  NamedInputPipe,
  NamedOutputPipe,
  StreamError,
  dockerRun,
} from '../../src/index.js';
import { BUSYBOX, CONFORMANCE } from '../helpers/docker.js';
import { HashingSink, PseudoRandomSource, patternSource, writePipeSha256 } from '../helpers/data.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { Collector, rejection, useScratchDir, watch } from '../helpers/task.js';

useLeakChecks();
const scratch = useScratchDir();
const GiB = 1024 ** 3;

interface Upload {
  url: string;
  received: Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>;
  close(): Promise<void>;
}

/** A local HTTP server that takes one POST and answers `status` once it has read the body (or at once). */
async function uploadServer(
  status: number,
  answer: 'after-body' | 'at-once' = 'after-body',
): Promise<Upload> {
  let resolveReceived!: (value: { headers: http.IncomingHttpHeaders; body: Buffer }) => void;
  const received = new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve) => {
    resolveReceived = resolve;
  });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    if (answer === 'at-once') res.writeHead(status).end('refused by the test server');
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      resolveReceived({ headers: req.headers, body: Buffer.concat(chunks) });
      if (answer === 'after-body')
        res.writeHead(status).end(status < 300 ? 'ok' : 'refused by the test server');
    });
    req.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/upload?token=abc`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('named pipes and Node streams', () => {
  it('streams a Node Readable into the container through a NamedInputPipe', async () => {
    const source = Readable.from([Buffer.from('hello '), Buffer.from('through '), Buffer.from('the pipe')]);
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['read', '-p', new Connect(source, new NamedInputPipe('in'))],
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toBe('hello through the pipe');
    expect(source.destroyed).toBe(true);
  });

  it('streams a NamedOutputPipe into a Node Writable', async () => {
    const sink = new Collector();
    await dockerRun
      .delay(CONFORMANCE, {
        containerArgs: [
          'write',
          '-m',
          'out of the container',
          '-p',
          new Connect(new NamedOutputPipe('out'), sink),
        ],
      })
      .get();
    expect(sink.text).toBe('out of the container');
    expect(sink.writableFinished).toBe(true);
  });

  it('reads and writes host files (8 MiB round trip)', async () => {
    const input = join(scratch, 'host-in.bin');
    const output = join(scratch, 'host-out.bin');
    const data = randomBytes(8 * 1024 * 1024);
    await writeFile(input, data);
    await dockerRun
      .delay(CONFORMANCE, {
        containerArgs: [
          'read-write',
          '-i',
          new Connect(new HostFile(input), new NamedInputPipe('in')),
          '-o',
          new Connect(new NamedOutputPipe('out'), new HostFile(output)),
        ],
      })
      .get();
    const copy = await readFile(output);
    expect(copy.length).toBe(data.length);
    expect(copy.equals(data)).toBe(true);
  });

  it("streams the container's stdout into a Writable and its stderr into a host file (streamConnectors)", async () => {
    const stdout = new Collector();
    const stderrFile = join(scratch, 'stderr.txt');
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['stdout-stderr'],
      streamConnectors: [
        new Connect(new ContainerStdOut(), stdout),
        new Connect(new ContainerStdErr(), new HostFile(stderrFile)),
      ],
    });
    const seen = watch(handle);
    await handle.get();
    expect(stdout.text).toBe('this is stdout data\n');
    expect(await readFile(stderrFile, 'utf8')).toBe('this is stderr data\n');
    // The log events still carry everything.
    expect(seen.stdout).toBe('this is stdout data\n');
    expect(seen.stderr).toBe('this is stderr data\n');
  });

  it('runs several connections at once in one task', async () => {
    const input = join(scratch, 'several-in.txt');
    await writeFile(input, 'line one\nline two\n');
    const copied = new Collector();
    const stdout = new Collector();
    const script = 'cat "$0" > "$1" && printf "%s\\n" from-stdin-pipe > "$2" && cat "$3" && echo done';
    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: [
        'sh',
        '-c',
        script,
        new Connect(new HostFile(input), new NamedInputPipe('a')),
        new Connect(new NamedOutputPipe('b'), copied),
        new Connect(new NamedOutputPipe('c'), new HostFile(join(scratch, 'several-c.txt'))),
        new Connect(Readable.from(['from a readable\n']), new NamedInputPipe('d')),
      ],
      streamConnectors: [new Connect(new ContainerStdOut(), stdout)],
    });
    await handle.get();
    expect(copied.text).toBe('line one\nline two\n');
    expect(await readFile(join(scratch, 'several-c.txt'), 'utf8')).toBe('from-stdin-pipe\n');
    expect(stdout.text).toBe('from a readable\ndone\n');
  });

  it('a failing Writable fails the task with a StreamError', async () => {
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full (test)'));
      },
    });
    const error = await rejection(
      dockerRun
        .delay(CONFORMANCE, {
          containerArgs: ['write', '-m', 'data', '-p', new Connect(new NamedOutputPipe('out'), sink)],
        })
        .get(),
    );
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).message).toContain('disk full (test)');
  });
});

describe('readers and writers that go away', () => {
  it('a container that never opens its input pipe does not hang the task', async () => {
    const source = patternSource(64 * 1024 * 1024);
    const started = Date.now();
    await dockerRun
      .delay(CONFORMANCE, {
        containerArgs: ['ignore-pipe', '-p', new Connect(source, new NamedInputPipe('in'))],
      })
      .get({ timeout: 20_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(source.destroyed).toBe(true);
  });

  it('a container that never opens its output pipe does not hang the task', async () => {
    const sink = new Collector();
    const started = Date.now();
    await dockerRun
      .delay(CONFORMANCE, {
        containerArgs: ['ignore-pipe', '-p', new Connect(new NamedOutputPipe('out'), sink)],
      })
      .get({ timeout: 20_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sink.text).toBe('');
  });

  it('a container that stops reading early (head) ends the task successfully', async () => {
    const source = patternSource(64 * 1024 * 1024);
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['head-pipe', '-n', '1024', '-p', new Connect(source, new NamedInputPipe('in'))],
    });
    const seen = watch(handle);
    const result = await handle.get({ timeout: 30_000 });
    expect(result.exitCode).toBe(0);
    expect(seen.stdout).toBe('0123456789abcdef'.repeat(64));
    expect(source.destroyed).toBe(true);
  });
});

describe('ChunkedTransferEncodingStream', () => {
  it('uploads everything the container writes to a local HTTP server', async () => {
    const server = await uploadServer(200);
    try {
      const handle = dockerRun.delay(CONFORMANCE, {
        containerArgs: [
          'write-pipe',
          '-n',
          '4',
          '-p',
          new Connect(
            new NamedOutputPipe('up'),
            new ChunkedTransferEncodingStream(server.url, { 'X-Test': 'yes' }),
          ),
        ],
      });
      await handle.get();
      const { headers, body } = await server.received;
      expect(headers['transfer-encoding']).toBe('chunked');
      expect(headers['x-test']).toBe('yes');
      expect(body.length).toBe(4 * 1024 * 1024);
      expect(createHash('sha256').update(body).digest('hex')).toBe(writePipeSha256(4));
    } finally {
      await server.close();
    }
  });

  it('a 500 answer fails the task with a StreamError', async () => {
    const server = await uploadServer(500);
    try {
      const error = await rejection(
        dockerRun
          .delay(CONFORMANCE, {
            containerArgs: [
              'write',
              '-m',
              'refused upload',
              '-p',
              new Connect(new NamedOutputPipe('up'), new ChunkedTransferEncodingStream(server.url)),
            ],
          })
          .get(),
      );
      expect(error).toBeInstanceOf(StreamError);
      expect((error as StreamError).message).toMatch(/500/);
      expect((await server.received).body.toString()).toBe('refused upload');
    } finally {
      await server.close();
    }
  });

  it('a 500 answered at once fails the task with a StreamError, not the SIGPIPE exit it causes', async () => {
    const server = await uploadServer(500, 'at-once');
    try {
      const error = await rejection(
        dockerRun
          .delay(CONFORMANCE, {
            containerArgs: [
              'write-pipe',
              '-n',
              '64',
              '-p',
              new Connect(new NamedOutputPipe('up'), new ChunkedTransferEncodingStream(server.url)),
            ],
          })
          .get(),
      );
      expect(error).toBeInstanceOf(StreamError);
      expect((error as StreamError).message).toMatch(/500/);
    } finally {
      await server.close();
    }
  });
});

describe('1 GiB each way, checked with sha256', () => {
  it('streams 1 GiB into the container intact', async () => {
    const source = new PseudoRandomSource(GiB);
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['sha256', '-p', new Connect(source, new NamedInputPipe('big-in'))],
    });
    const seen = watch(handle);
    await handle.get();
    expect(source.produced).toBe(GiB);
    expect(seen.stdout.trim()).toBe(source.sha256());
  }, 300_000);

  it('streams 1 GiB out of the container intact', async () => {
    const sink = new HashingSink();
    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: [
        'sh',
        '-c',
        `head -c ${GiB} /dev/urandom | tee "$0" | sha256sum`,
        new Connect(new NamedOutputPipe('big-out'), sink),
      ],
    });
    const seen = watch(handle);
    await handle.get();
    expect(sink.bytes).toBe(GiB);
    expect(seen.stdout.split(' ')[0]).toBe(sink.sha256());
  }, 300_000);
});
