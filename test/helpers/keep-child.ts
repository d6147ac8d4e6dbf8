// A process that runs a task with removeContainer: false and exits; it prints one JSON line
// {pid, containerId}. reaper.test.ts checks that the kept container outlives its owner.
import { dockerRun } from '../../src/index.js';
import { CONFORMANCE, listTaskContainers } from './docker.js';

const handle = dockerRun.delay(CONFORMANCE, {
  containerArgs: ['stdio', '-m', 'kept'],
  removeContainer: false,
});
await handle.get();
const [container] = await listTaskContainers(handle.id);
process.stdout.write(`${JSON.stringify({ pid: process.pid, containerId: container?.id })}\n`);
