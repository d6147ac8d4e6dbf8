/**
 * HostFile streams a host file in (or out); HostStdOut / HostStdErr write to this process's
 * output; ContainerStdOut / ContainerStdErr read the container's own output.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  Connect,
  ContainerStdOut,
  HostFile,
  HostStdOut,
  NamedInputPipe,
  NamedOutputPipe,
  dockerRun,
} from '../src/index.js';

const dir = await mkdtemp(join(tmpdir(), 'longshore-example-'));
try {
  const source = join(dir, 'lines.txt');
  await writeFile(source, 'one\ntwo\nthree\n');
  const upper = new PassThrough();
  upper.on('data', (chunk: Buffer) =>
    process.stdout.write(`container stdout, upper-cased: ${chunk.toString().toUpperCase()}`),
  );
  const run = dockerRun.delay('longshore/busybox', {
    // Copies the input to the output pipe and to its own stdout.
    entrypoint: ['sh', '-c', 'tee "$1" < "$0"'],
    containerArgs: [
      new Connect(new HostFile(source), new NamedInputPipe('in')),
      new Connect(new NamedOutputPipe('out'), new HostStdOut()),
    ],
    streamConnectors: [new Connect(new ContainerStdOut(), upper)],
  });
  await run.get();
} finally {
  await rm(dir, { recursive: true, force: true });
}
