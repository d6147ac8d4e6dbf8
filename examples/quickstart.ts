/**
 * The README's first command runs this: a real container task, end to end.
 *
 * A CSV generated here streams into the container through a FIFO (no temporary copy), the
 * container sums a column with awk while reporting progress through a ProgressPipe, writes its
 * answer to a file in the task's temporary volume, and a result hook reads that file back before
 * the temporary volume is removed.
 */
import { Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import {
  Connect,
  NamedInputPipe,
  ProgressPipe,
  VolumePath,
  dockerRun,
  type ResultHook,
} from '../src/index.js';

const ROWS = 200_000;

function* csvRows(): Generator<string> {
  yield 'id,value\n';
  for (let i = 1; i <= ROWS; i++) yield `${i},${i % 100}\n`;
}

const result = new VolumePath('sum.txt');
const readResult: ResultHook = {
  async run(ctx) {
    return (await readFile(await result.hostPath(ctx), 'utf8')).trim();
  },
};

const script = `
  progress="$1"; input="$2"; output="$3"
  echo '{"message": "summing", "current": 0, "total": 2}' > "$progress"
  awk -F, 'NR > 1 { s += $2 } END { print s }' "$input" > "$output"
  echo '{"message": "done", "current": 2, "total": 2}' > "$progress"
  echo "summed column 2 into $output"
`;

const run = dockerRun.delay('longshore/busybox', {
  entrypoint: ['sh', '-c', script, 'quickstart'],
  containerArgs: [
    new ProgressPipe(),
    new Connect(Readable.from(csvRows()), new NamedInputPipe('data.csv')),
    result,
  ],
  girderResultHooks: [readResult],
});

run.on('status', (state) => console.log(`status: ${state}`));
run.on('progress', (p) => console.log(`progress: ${p.current}/${p.total} ${p.message ?? ''}`));
run.on('log', (chunk) => process.stdout.write(`container ${chunk.stream}: ${chunk.text}`));

const { exitCode, hookResults } = await run.get();
const expected = Array.from({ length: ROWS }, (_, i) => (i + 1) % 100).reduce((a, b) => a + b, 0);
console.log(
  `exit code ${exitCode}; the container says the sum is ${String(hookResults[0])} (expected ${expected})`,
);
if (hookResults[0] !== String(expected)) process.exitCode = 1;
