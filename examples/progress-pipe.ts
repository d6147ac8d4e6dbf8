/**
 * ProgressPipe: any language in the container reports progress by writing JSON lines
 * ({"message", "current", "total"}) to the path it is given. Here busybox sh does it.
 */
import { ProgressPipe, dockerRun } from '../src/index.js';

const script = `
  exec 3> "$0"
  for i in 1 2 3 4 5; do
    echo "{\\"message\\": \\"step $i\\", \\"current\\": $i, \\"total\\": 5}" >&3
    sleep 0.2
  done
`;
const run = dockerRun.delay('longshore/busybox', {
  entrypoint: ['sh', '-c', script],
  containerArgs: [new ProgressPipe()],
});
run.on('progress', (p) => console.log(`${p.current}/${p.total} ${p.message}`));
run.on('warning', (message) => console.warn(message));
await run.get();
