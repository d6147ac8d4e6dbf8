// The WebSocket's coalescing, with a real HTTP server and a real ws client: a task that changes
// hundreds of times a second reaches clients at most ~10 times a second, ending on its latest
// record, and its log chunks arrive joined and in order.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EventState } from '../../src/monitor/event-state.js';
import { LiveUpdates } from '../../src/monitor/live-updates.js';
import { LiveClient } from './helpers/monitor-api.js';

describe('LiveUpdates', () => {
  it('coalesces bursts per task and joins log chunks', async () => {
    const state = new EventState();
    const live = new LiveUpdates(() => ({ tasks: [], workers: state.workers() }));
    const server = createServer((_request, response) => response.end());
    server.on('upgrade', (request, socket, head) => live.upgrade(request, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = await LiveClient.open(url);
    try {
      await client.next((m) => m.type === 'snapshot');
      const started = Date.now();
      let n = 0;
      // ~1 s of changes: a progress event and a log line every 2 ms.
      while (Date.now() - started < 1_000) {
        n += 1;
        for (const event of [
          { type: 'task-progress', uuid: 'busy', current: n, total: 1_000_000, message: null },
          { type: 'task-log', uuid: 'busy', stream: 'stdout', text: `${n}\n` },
        ]) {
          for (const change of state.apply(event)) live.publish(change);
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await client.next((m) => m.type === 'task' && m.task.progress?.current === n, 2_000);
      const updates = client.messages.filter((m) => m.type === 'task');
      expect(n).toBeGreaterThan(100);
      expect(updates.length).toBeGreaterThan(3);
      expect(updates.length).toBeLessThanOrEqual(13);
      // The last log chunk goes out with the last record (same flush, right after it).
      await client.next((m) => m.type === 'log' && (m.text === `${n}\n` || m.text.endsWith(`\n${n}\n`)));
      expect(client.messages.filter((m) => m.type === 'log').length).toBeLessThanOrEqual(13);
      const joined = client.messages.flatMap((m) => (m.type === 'log' ? [m.text] : [])).join('');
      expect(joined).toBe(Array.from({ length: n }, (_, i) => `${i + 1}\n`).join(''));
    } finally {
      await client.close();
      await live.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
