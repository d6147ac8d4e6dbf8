// Starts the monitor (its event reader on the broker), uses its HTTP server (keep-alive) and a
// WebSocket, closes it, and prints "closed": the process must then exit by itself.
import WebSocket from 'ws';
import { startMonitor } from '../../../src/monitor/monitor.js';
import { silentLogger } from '../../../src/core/logger.js';

const monitor = await startMonitor({
  broker: process.env.LONGSHORE_TEST_BROKER ?? 'amqp://guest:guest@127.0.0.1:5672//',
  port: 0,
  dbPath: ':memory:',
  logger: silentLogger(),
});
await fetch(`${monitor.url}/api/workers`);
const ws = new WebSocket(`${monitor.url.replace('http', 'ws')}/ws`);
await new Promise((resolve) => ws.once('message', resolve));
await monitor.close();
await monitor.close();
process.stdout.write('closed\n');
