/**
 * Progress from a shell script: busybox sh echoes JSON lines to the ProgressPipe's path. A pipe may
 * be opened anew for each line (`echo ... > "$progress"`) or once for many (a redirected block);
 * every line becomes a `progress` event either way.
 */
import { isDeepStrictEqual } from 'node:util';
import { ProgressPipe, dockerRun, type Progress } from '../src/index.js';

// String.raw keeps the backslashes: the shell, not TypeScript, unescapes the quotes.
const script = String.raw`
  progress="$1"
  for i in 1 2 3; do
    sleep 0.1
    echo "{\"current\": $i, \"total\": 6, \"message\": \"line $i: its own open\"}" > "$progress"
  done
  {
    for i in 4 5 6; do
      sleep 0.1
      echo "{\"current\": $i, \"total\": 6, \"message\": \"line $i: one open for three\"}"
    done
  } > "$progress"
`;

const expected: Progress[] = [1, 2, 3, 4, 5, 6].map((i) => ({
  current: i,
  total: 6,
  message: i <= 3 ? `line ${i}: its own open` : `line ${i}: one open for three`,
}));

const run = dockerRun.delay('longshore/busybox', {
  entrypoint: ['sh', '-c', script, 'progress-from-shell'],
  containerArgs: [new ProgressPipe()],
});
const seen: Progress[] = [];
run.on('progress', (p) => {
  seen.push(p);
  console.log(`progress ${p.current}/${p.total} ${p.message}`);
});
run.on('warning', (message) => console.warn(message));
await run.get();

if (isDeepStrictEqual(seen, expected)) {
  console.log(`shell: got all ${expected.length} progress events in order`);
} else {
  console.error(`shell: expected ${JSON.stringify(expected)}\nbut got ${JSON.stringify(seen)}`);
  process.exitCode = 1;
}
