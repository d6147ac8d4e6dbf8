// The runnable examples are documentation: each must still run, against the real engine. Only the
// .ts files are examples; the scripts they run in containers (.py, .mjs) are theirs.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const examples = readdirSync(new URL('../examples/', import.meta.url)).filter((f) => f.endsWith('.ts'));

function runExample(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`], {
      cwd: new URL('..', import.meta.url),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const expectedOutput: Record<string, RegExp> = {
  'quickstart.ts': /the container says the sum is 9900000 \(expected 9900000\)/,
  'bind-mount-volume.ts': /the container copied: hello from the host/,
  'temporary-volume.ts': /default: \/mnt\/girder_worker\/[0-9a-f]{32}/,
  'volume-path.ts': /result\.txt holds: written in the container/,
  'named-pipes.ts': /came back: streamed through two FIFOs/,
  'host-file-and-stdio.ts': /container stdout, upper-cased: ONE/,
  'progress-pipe.ts': /5\/5 step 5/,
  'progress-from-shell.ts': /shell: got all 6 progress events in order/,
  'progress-from-python.ts': /python: got all 5 progress events in order/,
  'progress-from-node.ts': /node: got all 5 progress events in order/,
  'chunked-transfer-encoding-stream.ts': /server received 8388608 bytes \(chunked\)/,
  'cancel.ts': /status REVOKED/,
  'girder-round-trip.ts': /uploaded sum\.txt holds 29998 \(expected 29998\)\njob status 3/,
};

describe('examples/', () => {
  it('has an expectation for every example', () => {
    expect(examples.sort()).toEqual(Object.keys(expectedOutput).sort());
  });

  it.each(examples)('%s runs to the end', async (file) => {
    const { code, output } = await runExample(file);
    expect(output).toMatch(expectedOutput[file]!);
    expect(code).toBe(0);
  });
});
