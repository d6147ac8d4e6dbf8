/**
 * Progress from Node: examples/progress-from-node.mjs runs in longshore/node, mounted read-only
 * with a BindMountVolume, and writes `JSON.stringify` lines to the ProgressPipe's path (`writeSync`,
 * so each line reaches the pipe at once).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { BindMountVolume, ProgressPipe, VolumePath, dockerRun, type Progress } from '../src/index.js';

const STEPS = 5;
const expected: Progress[] = Array.from({ length: STEPS }, (_, i) => ({
  current: i + 1,
  total: STEPS,
  message: `step ${i + 1} of ${STEPS} in Node`,
}));

const examples = new BindMountVolume(dirname(fileURLToPath(import.meta.url)), '/mnt/examples', 'ro');
const run = dockerRun.delay('longshore/node', {
  entrypoint: ['node'],
  containerArgs: [new VolumePath('progress-from-node.mjs', examples), new ProgressPipe(), String(STEPS)],
  volumes: [examples],
});
const seen: Progress[] = [];
run.on('progress', (p) => {
  seen.push(p);
  console.log(`progress ${p.current}/${p.total} ${p.message}`);
});
run.on('log', (chunk) => process.stdout.write(`container ${chunk.stream}: ${chunk.text}`));
run.on('warning', (message) => console.warn(message));
await run.get();

if (isDeepStrictEqual(seen, expected)) {
  console.log(`node: got all ${STEPS} progress events in order`);
} else {
  console.error(`node: expected ${JSON.stringify(expected)}\nbut got ${JSON.stringify(seen)}`);
  process.exitCode = 1;
}
