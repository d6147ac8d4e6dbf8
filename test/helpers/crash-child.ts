// A process that starts a long task and then waits to be killed (reaper.test.ts SIGKILLs it).
// Run as `node --import tsx test/helpers/crash-child.ts` with LONGSHORE_TMP_ROOT set; it prints
// one JSON line {pid, taskId, containerId} once the task's container runs.
import { dockerRun } from '../../src/index.js';
import { CONFORMANCE, waitForRunningTaskContainer } from './docker.js';

const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['sigkill'] });
handle.get().catch(() => undefined);
const containerId = await waitForRunningTaskContainer(handle.id);
process.stdout.write(`${JSON.stringify({ pid: process.pid, taskId: handle.id, containerId })}\n`);
// Keep running until killed.
setInterval(() => undefined, 60_000);
