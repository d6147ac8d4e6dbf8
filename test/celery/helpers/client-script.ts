// A user's script: send a task, print its result, close the client; it must then exit by itself.
// Run as `node --import tsx test/celery/helpers/client-script.ts QUEUE` with LONGSHORE_BROKER_URL set.
import { closeAll } from '../../../src/index.js';
import { add } from './test-tasks.js';

const queue = process.argv[2];
const result = await add.applyAsync([20, 22], {}, { queue }).get({ timeout: 30_000 });
process.stdout.write(`${JSON.stringify(result)}\n`);
await closeAll();
