/** Cancelling: `cancel()` or an AbortSignal stops the container (SIGTERM, then SIGKILL after stopTimeout). */
import { TaskCancelledError, dockerRun } from '../src/index.js';

const run = dockerRun.delay('longshore/conformance', {
  containerArgs: ['sigterm'],
  signal: AbortSignal.timeout(1000),
  stopTimeout: 5,
});
run.on('log', (chunk) => process.stdout.write(`container: ${chunk.text}`));
try {
  await run.get();
} catch (error) {
  if (!(error instanceof TaskCancelledError)) throw error;
  console.log(`status ${run.status}: ${error.message}`);
}
