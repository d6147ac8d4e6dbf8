// `longshore` as a user runs it: a child process against the real Docker engine, no mocks.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/longshore.js', import.meta.url));
const IMAGE = 'longshore/conformance';
const REGISTRY_IMAGE = `localhost:${(process.env.LONGSHORE_REGISTRY ?? '127.0.0.1:5000').split(':')[1]}/longshore/conformance:latest`;
const exec = promisify(execFile);

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Started {
  child: ChildProcess;
  done: Promise<Outcome>;
}

function start(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Started {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  const done = new Promise<Outcome>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

const longshore = (args: string[], options?: Parameters<typeof start>[1]): Promise<Outcome> =>
  start(args, options).done;

async function docker(...args: string[]): Promise<string> {
  return (await exec('docker', args)).stdout;
}

/** Names of containers (running or not) with this exact name. */
async function containersNamed(name: string): Promise<string[]> {
  const out = await docker('ps', '-a', '--filter', `name=^/${name}$`, '--format', '{{.Names}}');
  return out.split('\n').filter(Boolean);
}

async function removeContainer(name: string): Promise<void> {
  await docker('rm', '-f', name).catch(() => undefined);
}

const uniqueName = (what: string) => `longshore-cli-${what}-${randomUUID().slice(0, 8)}`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'longshore-cli-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent('longshore run', () => {
  it('prints what the container prints, with its arguments passed through (-m)', async () => {
    expect(await longshore(['run', IMAGE, 'stdio', '-m', 'hello'])).toEqual({
      code: 0,
      stdout: 'hello\n',
      stderr: '',
    });
  });

  it("exits 1 for the container's exit 1, with its stderr and one line of longshore", async () => {
    const { code, stdout, stderr } = await longshore(['run', IMAGE, 'raise-exception']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('girder docker exception\n');
    expect(stderr).toContain('longshore: Non-zero exit code from docker container (1)');
  });

  it("mirrors the container's exit code", async () => {
    expect((await longshore(['run', IMAGE, 'exit', '-c', '3'])).code).toBe(3);
  });

  it('bind-mounts --volume', async () => {
    const mounted = await mkdtemp(path.join(dir, 'volume-'));
    await writeFile(path.join(mounted, 'file'), 'from the host');
    const outcome = await longshore([
      'run',
      '-v',
      `${mounted}:/mnt/x:ro`,
      IMAGE,
      'read',
      '-p',
      '/mnt/x/file',
    ]);
    expect(outcome).toMatchObject({ code: 0, stdout: 'from the host' });
  });

  it('round-trips a host file through {in:FILE} and {out:-}', async () => {
    const input = path.join(dir, 'in.txt');
    const content = 'line 1\nline 2 with ünïcode\n';
    await writeFile(input, content);
    const outcome = await longshore(['run', IMAGE, 'read-write', '-i', `{in:${input}}`, '-o', '{out:-}']);
    expect(outcome).toMatchObject({ code: 0, stdout: content });
  });

  it('feeds {in:-} from stdin and writes {out:FILE} (relative to the working directory)', async () => {
    const cwd = await mkdtemp(path.join(dir, 'cwd-'));
    const outcome = await longshore(['run', IMAGE, 'read-write', '-i', '{in:-}', '-o', '{out:result.txt}'], {
      input: 'piped in\n',
      cwd,
    });
    expect(outcome).toMatchObject({ code: 0, stdout: '' });
    expect(await readFile(path.join(cwd, 'result.txt'), 'utf8')).toBe('piped in\n');
  });

  it('reports {progress} as plain lines when stderr is not a terminal', async () => {
    const progressions = JSON.stringify([
      { current: 1, total: 2, message: 'half' },
      { current: 2, total: 2, message: 'done' },
    ]);
    const outcome = await longshore([
      'run',
      IMAGE,
      'progress',
      '-p',
      '{progress}',
      '--progressions',
      progressions,
    ]);
    expect(outcome).toEqual({ code: 0, stdout: '', stderr: 'progress: 1/2 half\nprogress: 2/2 done\n' });
  });

  it('resolves {tmp} and {tmp:NAME}, and {{tmp}} stays literal', async () => {
    const paths = await longshore(['run', IMAGE, 'print-path', '-p', '{tmp:a/b.txt}']);
    expect(paths.stdout).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\/a\/b\.txt\n$/);
    const literal = await longshore(['run', IMAGE, 'print-path', '-p', '{{tmp}}']);
    expect(literal.stdout).toBe('{tmp}\n');
  });

  it('sets -e NAME=value and copies -e NAME from the environment, after --', async () => {
    const set = await longshore(['run', '-e', 'GREETING=hi there', '--', IMAGE, 'env', '-n', 'GREETING']);
    expect(set).toMatchObject({ code: 0, stdout: 'hi there\n' });
    const copied = await longshore(
      ['run', '-e', 'LONGSHORE_CLI_TEST', IMAGE, 'env', '-n', 'LONGSHORE_CLI_TEST'],
      {
        env: { LONGSHORE_CLI_TEST: 'copied' },
      },
    );
    expect(copied).toMatchObject({ code: 0, stdout: 'copied\n' });
  });

  it('runs here even when a broker is configured: its streams are this terminal', async () => {
    const result = await longshore(['run', IMAGE, 'stdio', '-m', 'local'], {
      env: { LONGSHORE_BROKER_URL: 'amqp://guest:guest@127.0.0.1:1//' },
    });
    expect(result).toMatchObject({ code: 0, stdout: 'local\n' });
  });

  it('with --json prints only the result on stdout, the container output on stderr', async () => {
    const ok = await longshore(['run', '--json', IMAGE, 'stdio', '-m', 'to stderr']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe('to stderr\n');
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'SUCCESS', exitCode: 0, hookResults: [] });

    const failed = await longshore(['run', '--json', IMAGE, 'exit', '-c', '4']);
    expect(failed.code).toBe(4);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      status: 'FAILURE',
      exitCode: 4,
      error: { name: 'ContainerExitError', code: 'ERR_CONTAINER_EXIT' },
    });
  });

  it('keeps the container with --keep', async () => {
    const name = uniqueName('keep');
    try {
      expect((await longshore(['run', '--keep', '--name', name, IMAGE, 'stdio', '-m', 'kept'])).code).toBe(0);
      expect(await containersNamed(name)).toEqual([name]);
    } finally {
      await removeContainer(name);
    }
  });

  it('exits 125 with a clear message when the image is missing and --pull never', async () => {
    const { code, stdout, stderr } = await longshore([
      'run',
      '--pull',
      'never',
      'longshore/no-such-image:never',
      'x',
    ]);
    expect(code).toBe(125);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'longshore: Image longshore/no-such-image:never is not present and pulling was not allowed\n',
    );
  });

  it('exits 125 for a missing {in:FILE} or --volume, before any container', async () => {
    const missingIn = await longshore(['run', IMAGE, 'read', '-p', `{in:${dir}/missing}`]);
    expect(missingIn.code).toBe(125);
    expect(missingIn.stderr).toMatch(/^longshore: Invalid \{in:.*missing\}: .*no such file\)\n$/);
    const missingVolume = await longshore(['run', '-v', `${dir}/missing:/x`, IMAGE, 'exit']);
    expect(missingVolume.code).toBe(125);
    expect(missingVolume.stderr).toMatch(/^longshore: Invalid --volume: .*no such file\)\n$/);
  });

  it('shows pull progress as plain lines, once each', async () => {
    try {
      const { code, stdout, stderr } = await longshore([
        'run',
        '--pull',
        'always',
        REGISTRY_IMAGE,
        'stdio',
        '-m',
        'pulled',
      ]);
      expect(code).toBe(0);
      expect(stdout).toBe('pulled\n');
      const lines = stderr.split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((line) => line.startsWith('pull: '))).toBe(true);
      expect(new Set(lines).size).toBe(lines.length);
      expect(stderr).toContain('pull: Digest: sha256:');
    } finally {
      await docker('rmi', REGISTRY_IMAGE).catch(() => undefined);
    }
  });
});

describe.concurrent('longshore run, interrupted', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`stops and removes the container on ${signal}, exit ${code}`, async () => {
      const name = uniqueName(signal.toLowerCase());
      const { child, done } = start(['run', '--name', name, IMAGE, 'sigterm']);
      try {
        // Wait until the container's SIGTERM trap is set: it is when `sleep 30` runs.
        for (let i = 0; ; i++) {
          const top = await docker('top', name).catch(() => '');
          if (top.includes('sleep 30')) break;
          if (i > 200) throw new Error('the container never started sleeping');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const stopped = Date.now();
        child.kill(signal);
        const outcome = await done;
        expect(outcome.code).toBe(code);
        // The container got SIGTERM (not the 10 s SIGKILL), and its last words still came through.
        expect(outcome.stdout).toBe('SIGTERM received\n');
        expect(Date.now() - stopped).toBeLessThan(8000);
        expect(outcome.stderr).toContain(`longshore: ${signal} received: stopping the container`);
        expect(outcome.stderr).not.toMatch(/\n\s+at /);
        const left = await docker(
          'ps',
          '-a',
          '--filter',
          'label=longshore.task-id',
          '--filter',
          `name=^/${name}$`,
          '--format',
          '{{.Names}}',
        );
        expect(left.trim()).toBe('');
      } finally {
        child.kill('SIGKILL');
        await removeContainer(name);
      }
    });
  }
});

describe.concurrent('longshore usage', () => {
  it('rejects an unknown flag with one line and exit 2', async () => {
    const { code, stdout, stderr } = await longshore(['run', '--frob', IMAGE]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe("longshore run: unknown option '--frob' (see 'longshore run --help')\n");
  });

  it('rejects an unknown command with one line and exit 2', async () => {
    const { code, stderr } = await longshore(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toBe("longshore: unknown command 'frobnicate' (see 'longshore --help')\n");
  });

  it('rejects a bad option value and a missing image', async () => {
    const pull = await longshore(['run', '--pull', 'sometimes', IMAGE]);
    expect(pull.code).toBe(2);
    expect(pull.stderr).toBe(
      "longshore run: invalid --pull 'sometimes': expected always, never or missing (see 'longshore run --help')\n",
    );
    const noImage = await longshore(['run', '-e', 'A=1']);
    expect(noImage.code).toBe(2);
    expect(noImage.stderr).toBe("longshore run: missing IMAGE (see 'longshore run --help')\n");
  });

  it('prints help and the version', async () => {
    const help = await longshore(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: longshore COMMAND/);
    expect(help.stdout).toMatch(/^ {2}run +run a container/m);

    const runHelp = await longshore(['run', '--help']);
    expect(runHelp.code).toBe(0);
    expect(runHelp.stdout).toMatch(/^Usage: longshore run \[OPTIONS\] IMAGE \[ARGS\.\.\.\]/);
    for (const word of ['--volume', '--pull', '{tmp}', '{in:FILE}', '{out:FILE}', '{progress}', '{{tmp}}']) {
      expect(runHelp.stdout).toContain(word);
    }

    const { version } = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    };
    expect(await longshore(['--version'])).toEqual({ code: 0, stdout: `longshore ${version}\n`, stderr: '' });
  });
});
