import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamError } from '../core/errors.js';
import { openHostFileReader, openHostFileWriter } from './host-file.js';
import { pump } from './pump.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'longshore-host-file-'));
});
afterAll(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
});

describe('host files', () => {
  it('copies a file in 1 MiB reads', async () => {
    const from = path.join(dir, 'in.bin');
    const to = path.join(dir, 'out.bin');
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 'ab');
    await fs.promises.writeFile(from, data);
    const reader = await openHostFileReader(from);
    expect(reader.readableHighWaterMark).toBe(1024 * 1024);
    const result = await pump(reader, await openHostFileWriter(to));
    expect(result).toEqual({ bytes: data.length, endedEarly: false });
    expect((await fs.promises.readFile(to)).equals(data)).toBe(true);
  });

  it('fails at open, naming the path, for a missing file or a directory', async () => {
    const missing = path.join(dir, 'missing.txt');
    await expect(openHostFileReader(missing)).rejects.toThrow(StreamError);
    await expect(openHostFileReader(missing)).rejects.toThrow(missing);
    await expect(openHostFileReader(dir)).rejects.toThrow(/is a directory/);
    await expect(openHostFileWriter(path.join(missing, 'x'))).rejects.toThrow(StreamError);
  });
});
