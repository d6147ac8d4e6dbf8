import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createHostStdioSink } from './host-stdio-sink.js';

describe('createHostStdioSink', () => {
  it('forwards bytes and never ends or destroys the target', async () => {
    const target = new PassThrough();
    const received: Buffer[] = [];
    target.on('data', (chunk: Buffer) => received.push(chunk));
    const sink = createHostStdioSink(target);
    sink.write('hello ');
    await new Promise<void>((resolve) => sink.end('world', resolve));
    sink.destroy();
    expect(Buffer.concat(received).toString()).toBe('hello world');
    expect(target.writableEnded).toBe(false);
    expect(target.destroyed).toBe(false);
  });

  it('acknowledges a chunk only once the target has taken it', async () => {
    const release: (() => void)[] = [];
    const target = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        release.push(() => callback());
      },
    });
    const sink = createHostStdioSink(target);
    let acknowledged = false;
    sink.write('x', () => (acknowledged = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(acknowledged).toBe(false);
    release.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(acknowledged).toBe(true);
  });

  it('resolves the host streams by name', () => {
    expect(createHostStdioSink('stderr')).toBeInstanceOf(Writable);
  });
});
