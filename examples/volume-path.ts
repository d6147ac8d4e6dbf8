/** VolumePath: a file inside a volume; the container gets its path, a result hook reads it on the host. */
import { readFile } from 'node:fs/promises';
import { VolumePath, dockerRun } from '../src/index.js';

const out = new VolumePath('result.txt');
const run = dockerRun.delay('longshore/conformance', {
  containerArgs: ['write', '-m', 'written in the container', '-p', out],
  girderResultHooks: [{ run: async (ctx) => readFile(await out.hostPath(ctx), 'utf8') }],
});
const { hookResults } = await run.get();
console.log(`result.txt holds: ${String(hookResults[0])}`);
