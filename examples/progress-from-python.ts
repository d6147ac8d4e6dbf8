/**
 * Progress from Python: examples/progress-from-python.py runs in longshore/python, mounted read-only
 * with a BindMountVolume, and writes `json.dumps` lines to the ProgressPipe's path, flushing each.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { BindMountVolume, ProgressPipe, VolumePath, dockerRun, type Progress } from '../src/index.js';

const STEPS = 5;
const expected: Progress[] = Array.from({ length: STEPS }, (_, i) => ({
  current: i + 1,
  total: STEPS,
  message: `step ${i + 1} of ${STEPS} in Python`,
}));

const examples = new BindMountVolume(dirname(fileURLToPath(import.meta.url)), '/mnt/examples', 'ro');
const run = dockerRun.delay('longshore/python', {
  entrypoint: ['python3'],
  containerArgs: [new VolumePath('progress-from-python.py', examples), new ProgressPipe(), String(STEPS)],
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
  console.log(`python: got all ${STEPS} progress events in order`);
} else {
  console.error(`python: expected ${JSON.stringify(expected)}\nbut got ${JSON.stringify(seen)}`);
  process.exitCode = 1;
}
