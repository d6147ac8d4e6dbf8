import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { growPipe } from './pipe-size.js';

describe('growPipe', () => {
  it('resolves false, never rejects, when the descriptor is not open', async () => {
    // Its callers fire and forget: a rejection would be unhandled and end the process. (A high
    // number: spawn's own pipes would take a low one just closed.)
    const fd = 999;
    expect(() => fs.fstatSync(fd)).toThrow();
    await expect(growPipe(fd)).resolves.toBe(false);
  });
});
