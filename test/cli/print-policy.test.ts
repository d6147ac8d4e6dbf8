// `longshore worker --print-policy`: the policy in force, defaults filled in, without a broker.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useScratchDir } from '../helpers/task.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/longshore.js', import.meta.url));
const scratch = useScratchDir();

async function printPolicy(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { LONGSHORE_WORKER_POLICY: _unset, LONGSHORE_BROKER_URL: _none, ...base } = process.env;
  return run(process.execPath, [BIN, 'worker', '--print-policy', ...args], { env: { ...base, ...env } });
}

describe('longshore worker --print-policy', () => {
  it('prints the secure default and exits 0, with no broker configured', async () => {
    const { stdout } = await printPolicy([]);
    const policy = JSON.parse(stdout) as Record<string, unknown>;
    expect(policy).toMatchObject({
      images: ['*'],
      pullPolicies: ['always', 'never', 'ifNotPresent'],
      hostRoots: null,
      refusedHostPathExceptions: ['/var/tmp'],
      allow: { privileged: false, capAdd: [], devices: false, hostNamespaces: [], dockerSocket: false },
      urls: [],
      limits: {},
    });
    expect(policy.refusedHostPaths).toContain('/etc');
  });

  it('prints a policy file with its defaults filled in, from --policy or LONGSHORE_WORKER_POLICY', async () => {
    const file = join(scratch, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        images: ['longshore/*'],
        allow: { capAdd: ['SYS_PTRACE'] },
        limits: { runSeconds: 60 },
      }),
    );
    for (const [args, env] of [
      [['--policy', file], {}] as const,
      [[], { LONGSHORE_WORKER_POLICY: file }] as const,
    ]) {
      const policy = JSON.parse((await printPolicy([...args], env)).stdout) as Record<string, unknown>;
      expect(policy).toMatchObject({
        images: ['longshore/*'],
        allow: { privileged: false, capAdd: ['SYS_PTRACE'] },
        limits: { runSeconds: 60 },
      });
    }
  });

  it('fails naming the field of a bad policy file', async () => {
    const file = join(scratch, 'bad.json');
    writeFileSync(file, JSON.stringify({ allow: { privilegd: true } }));
    const error = (await printPolicy(['--policy', file]).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(error.code).not.toBe(0);
    expect(error.stderr).toContain('allow.privilegd');
  });
});
