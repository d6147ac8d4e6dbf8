import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it("resolves with the condition's first truthy answer", async () => {
    let asked = 0;
    expect(await waitFor(() => (++asked >= 3 ? `after ${asked}` : undefined), { intervalMs: 1 })).toBe(
      'after 3',
    );
  });

  it('rejects at the deadline, naming what it waited for', async () => {
    const started = Date.now();
    await expect(waitFor(() => false, { timeoutMs: 50, intervalMs: 5, what: 'the moon' })).rejects.toThrow(
      'waited 50 ms in vain for the moon',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('throws what the condition throws', async () => {
    await expect(
      waitFor(() => {
        throw new Error('broken probe');
      }),
    ).rejects.toThrow('broken probe');
  });
});
