/**
 * TemporaryVolume: a per-task directory mounted at /mnt/girder_worker/<hex>, removed when the task
 * ends. `TemporaryVolume.default` is the task's own, always mounted; `new TemporaryVolume()` is another.
 */
import { TemporaryVolume, dockerRun } from '../src/index.js';

const scratch = new TemporaryVolume();
const run = dockerRun.delay('longshore/busybox', {
  entrypoint: ['sh', '-c', 'echo "default: $0"; echo "scratch: $1"; touch "$1/x" && ls "$1"'],
  containerArgs: [TemporaryVolume.default, scratch],
  volumes: [scratch],
});
run.on('log', (chunk) => process.stdout.write(chunk.text));
await run.get();
