// The locally built test images (scripts/build-test-images.ts) against the real engine.
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';

const docker = new Docker();
const CONFORMANCE = 'longshore/conformance:latest';
const BUSYBOX = 'longshore/busybox:latest';
const GPU_LABELLED = 'longshore/gpu-labelled:latest';
const PYTHON = 'longshore/python:latest';
const NODE = 'longshore/node:latest';
const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
const TEST_LABEL = 'org.longshore.images-test';
let seq = 0;

interface RunOptions {
  image?: string;
  /** Host directory mounted read-write at /mnt/io. */
  io?: string;
  env?: string[];
  user?: string;
  workingDir?: string;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Splits a non-TTY log buffer (8-byte frame headers) into stdout and stderr. */
function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (let at = 0; at + 8 <= buf.length;) {
    const size = buf.readUInt32BE(at + 4);
    (buf[at] === 2 ? err : out).push(buf.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

function create(cmd: string[], opts: RunOptions = {}): Promise<Docker.Container> {
  return docker.createContainer({
    name: `longshore-images-test-${RUN_ID}-${++seq}`,
    Image: opts.image ?? CONFORMANCE,
    Cmd: cmd,
    Env: opts.env,
    User: opts.user,
    WorkingDir: opts.workingDir,
    Labels: { [TEST_LABEL]: RUN_ID },
    HostConfig: { Binds: opts.io ? [`${opts.io}:/mnt/io`] : [] },
  });
}

async function output(container: Docker.Container): Promise<{ stdout: string; stderr: string }> {
  return demux(await container.logs({ stdout: true, stderr: true, follow: false }));
}

async function run(cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
  const container = await create(cmd, opts);
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return { code: StatusCode, ...(await output(container)) };
  } finally {
    await container.remove({ force: true });
  }
}

/** A temporary host directory, removed afterwards (through a container if the files resist). */
async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'longshore-images-test-'));
  await chmod(dir, 0o777);
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(async () => {
      await run(['sh', '-c', 'chmod -R u+rwx /mnt/io && rm -rf /mnt/io/* /mnt/io/.[!.]*'], {
        image: BUSYBOX,
        io: dir,
      });
      await rm(dir, { recursive: true, force: true });
    });
  }
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('longshore/conformance', () => {
  it('stdio prints the message', async () => {
    expect(await run(['stdio', '-m', 'hello world'])).toEqual({
      code: 0,
      stdout: 'hello world\n',
      stderr: '',
    });
  });

  it('stdout-stderr writes to both streams', async () => {
    expect(await run(['stdout-stderr'])).toEqual({
      code: 0,
      stdout: 'this is stdout data\n',
      stderr: 'this is stderr data\n',
    });
  });

  it('raise-exception exits 1 with the message on stderr', async () => {
    const result = await run(['raise-exception']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('girder docker exception');
  });

  it('exit -c N exits with N', async () => {
    expect((await run(['exit', '-c', '3'])).code).toBe(3);
  });

  it('stderr-then-exit prints to stderr and exits with the code', async () => {
    expect(await run(['stderr-then-exit', '-m', 'boom', '-c', '5'])).toEqual({
      code: 5,
      stdout: '',
      stderr: 'boom\n',
    });
  });

  it('print-path prints the path', async () => {
    expect((await run(['print-path', '-p', '/mnt/some/path'])).stdout).toBe('/mnt/some/path\n');
  });

  it('an unknown subcommand exits 2 with usage on stderr', async () => {
    const result = await run(['no-such-subcommand']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: conformance');
  });

  it('env, whoami and pwd report the container environment', async () => {
    expect((await run(['env', '-n', 'FOO'], { env: ['FOO=bar baz'] })).stdout).toBe('bar baz\n');
    expect((await run(['env', '-n', 'UNSET_VARIABLE'])).code).toBe(1);
    expect((await run(['whoami'])).stdout).toBe('0\n');
    expect((await run(['whoami'], { user: '65534' })).stdout).toBe('65534\n');
    expect((await run(['pwd'])).stdout).toBe('/\n');
    expect((await run(['pwd'], { workingDir: '/tmp' })).stdout).toBe('/tmp\n');
  });

  it('write and read go through a bind-mounted directory', () =>
    withTempDir(async (dir) => {
      expect((await run(['write', '-m', 'some message', '-p', '/mnt/io/out.txt'], { io: dir })).code).toBe(0);
      expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('some message'); // no newline added
      expect((await run(['read', '-p', '/mnt/io/out.txt'], { io: dir })).stdout).toBe('some message');
      await writeFile(join(dir, 'in.bin'), Buffer.from([0, 1, 2, 255, 10]));
      expect(
        (await run(['read-write', '-i', '/mnt/io/in.bin', '-o', '/mnt/io/copy.bin'], { io: dir })).code,
      ).toBe(0);
      expect(await readFile(join(dir, 'copy.bin'))).toEqual(Buffer.from([0, 1, 2, 255, 10]));
    }));

  it('listdir lists the directory, one name per line', () =>
    withTempDir(async (dir) => {
      for (const name of ['b.txt', 'a.txt', 'c d.txt']) await writeFile(join(dir, name), name);
      expect(await run(['listdir', '-d', '/mnt/io'], { io: dir })).toEqual({
        code: 0,
        stdout: 'a.txt\nb.txt\nc d.txt\n',
        stderr: '',
      });
    }));

  it('sha256 prints the digest of a file', () =>
    withTempDir(async (dir) => {
      const data = Buffer.from('the quick brown fox\n'.repeat(1000));
      await writeFile(join(dir, 'data'), data);
      expect((await run(['sha256', '-p', '/mnt/io/data'], { io: dir })).stdout).toBe(`${sha256(data)}\n`);
    }));

  it('progress writes one compact JSON object per line', () =>
    withTempDir(async (dir) => {
      const progressions = [
        { message: 'a, }{ b', current: 1, total: 3 },
        { message: 'say "hi"', current: 2, total: 3 },
        { message: 'done', current: 3, total: 3 },
      ];
      const expected = progressions.map((p) => JSON.stringify(p)).join('\n');
      const json = JSON.stringify(progressions, null, 1);
      const args = ['progress', '-p', '/mnt/io/progress', '--progressions', json];
      expect((await run(args, { io: dir })).code).toBe(0);
      expect(await readFile(join(dir, 'progress'), 'utf8')).toBe(`${expected}\n`);
      expect((await run([...args, '--no-final-newline'], { io: dir })).code).toBe(0);
      expect(await readFile(join(dir, 'progress'), 'utf8')).toBe(expected);
    }));

  it('write-pipe writes the pattern and head-pipe reads only the first bytes', () =>
    withTempDir(async (dir) => {
      expect((await run(['write-pipe', '-p', '/mnt/io/data', '-n', '2'], { io: dir })).code).toBe(0);
      const line = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_\n';
      const data = await readFile(join(dir, 'data'));
      expect(data.length).toBe(2 * 1048576);
      expect(sha256(data)).toBe(sha256(line.repeat(2 * 16384)));
      expect(await run(['head-pipe', '-p', '/mnt/io/data', '-n', '70'], { io: dir })).toEqual({
        code: 0,
        stdout: line + line.slice(0, 6),
        stderr: '',
      });
      expect((await run(['ignore-pipe', '-p', '/mnt/io/never-made'], { io: dir })).code).toBe(0);
    }));

  it('write-root-files leaves restrictive root-owned files', () =>
    withTempDir(async (dir) => {
      expect((await run(['write-root-files', '-d', '/mnt/io/out'], { io: dir })).code).toBe(0);
      const file = await stat(join(dir, 'out/sub/a.txt'));
      expect([file.mode & 0o777, file.uid]).toEqual([0o600, 0]);
      expect((await stat(join(dir, 'out/locked'))).mode & 0o777).toBe(0o500);
    }));

  it('sigterm prints "SIGTERM received" and exits 0 when stopped', async () => {
    const container = await create(['sigterm']);
    try {
      await container.start();
      // The trap is set before the background sleep starts; wait for the sleep.
      for (let i = 0; i < 100; i++) {
        const top = (await container.top()) as { Processes?: string[][] };
        if (top.Processes?.some((p) => p.join(' ').includes('sleep 30'))) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const started = Date.now();
      await container.stop({ t: 2 });
      expect(Date.now() - started).toBeLessThan(1900);
      expect((await container.inspect()).State.ExitCode).toBe(0);
      expect((await output(container)).stdout).toContain('SIGTERM received');
    } finally {
      await container.remove({ force: true });
    }
  });
});

describe('longshore/busybox and longshore/gpu-labelled', () => {
  it('busybox runs applets and defaults to sh', async () => {
    expect(await run(['echo', 'hi'], { image: BUSYBOX })).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    expect((await run(['true'], { image: BUSYBOX })).code).toBe(0);
    expect((await run(['sh', '-c', 'stat -c %a /tmp'], { image: BUSYBOX })).stdout).toBe('1777\n');
    const info = await docker.getImage(BUSYBOX).inspect();
    expect(info.Config.Cmd).toEqual(['sh']);
    expect(info.Config.Entrypoint ?? null).toBeNull();
  });

  it('gpu-labelled carries the NVIDIA label', async () => {
    const info = await docker.getImage(GPU_LABELLED).inspect();
    expect(info.Config.Labels?.['com.nvidia.volumes.needed']).toBe('nvidia_driver');
    expect((await run(['echo', 'ok'], { image: GPU_LABELLED })).stdout).toBe('ok\n');
  });
});

describe('longshore/python and longshore/node', () => {
  it('python runs a json, os, sys, time script, as root and as nobody', async () => {
    const script = [
      'import json, os, sys, time',
      'print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "uid": os.getuid(), "clock": time.time() > 0}))',
    ].join('\n');
    for (const user of ['0', '65534']) {
      expect(await run(['python3', '-c', script, 'a b'], { image: PYTHON, user })).toEqual({
        code: 0,
        stdout: `{"argv": ["a b"], "cwd": "/", "uid": ${user}, "clock": true}\n`,
        stderr: '',
      });
    }
  });

  it('python defaults to python3, keeps busybox sh, and leaves out tests and third-party packages', async () => {
    const info = await docker.getImage(PYTHON).inspect();
    expect(info.Config.Cmd).toEqual(['python3']);
    const probe =
      'import importlib.util as u; print([bool(u.find_spec(m)) for m in ("_json", "test", "celery")])';
    const result = await run(['sh', '-c', `python3 -c '${probe}' | tr -d ' '`], { image: PYTHON });
    expect(result).toEqual({ code: 0, stdout: '[True,False,False]\n', stderr: '' });
    expect(info.Size).toBeLessThan(50_000_000);
  });

  it('node runs a script and keeps busybox sh', async () => {
    const info = await docker.getImage(NODE).inspect();
    expect(info.Config.Cmd).toEqual(['node']);
    const script = 'console.log(JSON.stringify({ argv: process.argv.slice(1), platform: process.platform }))';
    expect(await run(['node', '-e', script, 'x y'], { image: NODE })).toEqual({
      code: 0,
      stdout: '{"argv":["x y"],"platform":"linux"}\n',
      stderr: '',
    });
    expect((await run(['sh', '-c', 'echo "console.log(6 * 7)" | node'], { image: NODE })).stdout).toBe(
      '42\n',
    );
  });
});
