import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamError } from '../core/errors.js';
import { makeFifo } from './make-fifo.js';

describe('makeFifo', () => {
  it('creates a FIFO anyone can open, whatever the umask', async () => {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'longshore-mkfifo-'));
    const previous = process.umask(0o077);
    try {
      const fifo = path.join(dir, 'pipe');
      await makeFifo(fifo);
      const stats = await fs.promises.stat(fifo);
      expect(stats.isFIFO()).toBe(true);
      expect(stats.mode & 0o777).toBe(0o666);
    } finally {
      process.umask(previous);
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  });

  it('fails with a StreamError naming the path', async () => {
    const fifo = path.join(os.tmpdir(), 'longshore-no-such-dir', 'pipe');
    const error = await makeFifo(fifo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toContain(fifo);
  });
});
