/** BindMountVolume: a host directory mounted into the container; as an argument, its container path. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BindMountVolume, VolumePath, dockerRun } from '../src/index.js';

const dir = await mkdtemp(join(tmpdir(), 'longshore-example-'));
try {
  await writeFile(join(dir, 'input.txt'), 'hello from the host\n');
  const data = new BindMountVolume(dir, '/mnt/data', 'rw');
  const run = dockerRun.delay('longshore/conformance', {
    containerArgs: [
      'read-write',
      '-i',
      new VolumePath('input.txt', data),
      '-o',
      new VolumePath('copy.txt', data),
    ],
    volumes: [data],
  });
  await run.get();
  console.log(`the container copied: ${(await readFile(join(dir, 'copy.txt'), 'utf8')).trim()}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
