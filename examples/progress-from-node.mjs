// Reports progress to longshore from Node: one JSON object per line on the ProgressPipe's path.
//
// Usage: node progress-from-node.mjs PROGRESS_PATH STEPS
// Run in longshore/node by examples/progress-from-node.ts; needs only Node's own modules.
import { closeSync, openSync, writeSync } from 'node:fs';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';

const [progressPath, stepsArg] = process.argv.slice(2);
const steps = Number(stepsArg);
if (!progressPath || !Number.isInteger(steps)) {
  process.stderr.write('usage: node progress-from-node.mjs PROGRESS_PATH STEPS\n');
  process.exit(2);
}

// One open for all lines. writeSync hands each line to the pipe at once: nothing to flush.
const fd = openSync(progressPath, 'w');
try {
  for (let step = 1; step <= steps; step++) {
    await sleep(100); // the work of one step
    const line = { current: step, total: steps, message: `step ${step} of ${steps} in Node` };
    writeSync(fd, `${JSON.stringify(line)}\n`);
  }
} finally {
  closeSync(fd);
}
process.stdout.write(`node ${process.version} (pid ${process.pid}) reported ${steps} steps\n`);
