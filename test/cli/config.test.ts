// `longshore config` as a user runs it: a child process, a real file, the environment over it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configFilePath } from '../../src/cli/cli-config.js';
import { main } from '../../src/cli/main.js';
import { parseWorkerArgs } from '../../src/cli/worker-command.js';

const BIN = fileURLToPath(new URL('../../bin/longshore.js', import.meta.url));
const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let file: string;

/** The environment of a user with none of longshore's variables set, and the config file in `dir`. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LONGSHORE_')) env[k] = v;
  return { ...env, LONGSHORE_CONFIG: file, ...extra };
}

/** The CLI as a child process, as a user runs it. */
async function spawned(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: cleanEnv(env) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The same CLI entry point in this process (a spawn costs seconds on a loaded machine). */
async function longshore(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const stream = (append: (text: string) => void): NodeJS.WriteStream =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        append(chunk.toString());
        callback();
      },
    }) as unknown as NodeJS.WriteStream;
  const code = await main(args, {
    stdout: stream((t) => (stdout += t)),
    stderr: stream((t) => (stderr += t)),
    env: cleanEnv(env),
    cwd: dir,
  });
  return { code, stdout, stderr };
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'longshore-config-test-'));
  file = path.join(dir, 'sub', 'config.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('longshore config', () => {
  it('sets, gets, lists and removes values in a JSON file, nested for girder, readable by its owner only', async () => {
    expect(await spawned(['config', 'set', 'broker', 'amqp://guest:s3cret-pw@rabbit:5672//'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    await longshore(['config', 'set', 'concurrency', '4']);
    await longshore(['config', 'set', 'girder.apiKey', 'abcdefghijklmnop']);
    await longshore(['config', 'set', 'girder.apiUrl', 'http://girder:8080/api/v1']);
    await longshore(['config', 'set', 'tasks', './a.js, ./b.js']);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      broker: 'amqp://guest:s3cret-pw@rabbit:5672//',
      girder: { apiUrl: 'http://girder:8080/api/v1', apiKey: 'abcdefghijklmnop' },
      concurrency: 4,
      tasks: ['./a.js', './b.js'],
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await longshore(['config', 'get', 'concurrency'])).toMatchObject({ code: 0, stdout: '4\n' });
    expect(await longshore(['config', 'get', 'tasks', '--json'])).toMatchObject({
      code: 0,
      stdout: '["./a.js","./b.js"]\n',
    });

    const list = await spawned(['config', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`# ${file}\n`);
    expect(list.stdout).toMatch(/^broker: +amqp:\/\/guest:\*\*@rabbit:5672\/\/$/m);
    expect(list.stdout).toMatch(/^concurrency: +4$/m);
    // Secrets never printed by list.
    expect(list.stdout).not.toContain('s3cret-pw');
    expect(list.stdout).not.toContain('abcdefghijklmnop');
    expect(list.stdout).toMatch(/^girder\.apiKey: +.*masked/m);
    const json = JSON.parse((await longshore(['config', 'list', '--json'])).stdout) as Record<string, string>;
    expect(json.concurrency).toBe('4');
    expect(JSON.stringify(json)).not.toContain('s3cret-pw');

    expect(await longshore(['config', 'rm', 'concurrency'])).toMatchObject({ code: 0 });
    // Unset: exit 1 and nothing printed, as `git config KEY`.
    expect(await longshore(['config', 'get', 'concurrency'])).toEqual({ code: 1, stdout: '', stderr: '' });
    expect(JSON.parse(await readFile(file, 'utf8'))).not.toHaveProperty('concurrency');
  });

  it('environment variables override the file, and list says where a value comes from', async () => {
    await longshore(['config', 'set', 'defaultQueue', 'from-file']);
    await longshore(['config', 'set', 'monitorUrl', 'http://file:5555']);
    expect(await longshore(['config', 'get', 'defaultQueue'], { LONGSHORE_QUEUE: 'from-env' })).toMatchObject(
      {
        stdout: 'from-env\n',
      },
    );
    const list = await longshore(['config', 'list'], { LONGSHORE_MONITOR_URL: 'http://env:5555' });
    expect(list.stdout).toMatch(/^monitorUrl: +http:\/\/env:5555 +\(from \$LONGSHORE_MONITOR_URL\)$/m);
    expect(list.stdout).toMatch(/^defaultQueue: +from-file$/m);
  });

  it('names a bad value with what was expected, in one line, and leaves the file alone', async () => {
    await longshore(['config', 'set', 'concurrency', '2']);
    const before = await readFile(file, 'utf8');
    expect(await spawned(['config', 'set', 'concurrency', 'abc'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'longshore config: concurrency: expected a positive integer, got "abc"\n',
    });
    expect((await longshore(['config', 'set', 'concurrency', '0'])).stderr).toBe(
      'longshore config: concurrency: expected a positive integer, got 0\n',
    );
    expect((await longshore(['config', 'set', 'broker', 'http://rabbit'])).stderr).toBe(
      'longshore config: broker: expected an amqp:// or amqps:// URL, got "http://rabbit"\n',
    );
    expect((await longshore(['config', 'set', 'monitorUrl', 'localhost:5555'])).stderr).toBe(
      'longshore config: monitorUrl: expected an http:// or https:// URL, got "localhost:5555"\n',
    );
    expect((await longshore(['config', 'set', 'tmpRoot', 'relative/dir'])).stderr).toBe(
      'longshore config: tmpRoot: expected an absolute path, got "relative/dir"\n',
    );
    expect(await readFile(file, 'utf8')).toBe(before);

    const unknown = await longshore(['config', 'set', 'colour', 'blue']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^longshore config: unknown key 'colour' \(known: broker, .*\) \(see 'longshore config --help'\)\n$/,
    );
    // A bad environment variable is named by its name.
    expect(await longshore(['config', 'list'], { LONGSHORE_CONCURRENCY: 'many' })).toMatchObject({
      code: 1,
      stderr:
        'longshore config: concurrency (LONGSHORE_CONCURRENCY): expected a positive integer, got "many"\n',
    });
  });

  it('a broken file is one line that names it; other commands refuse it the same way', async () => {
    await longshore(['config', 'set', 'concurrency', '2']);
    await writeFile(file, '{"concurrency": ');
    expect(await longshore(['config', 'list'])).toMatchObject({
      code: 1,
      stderr: `longshore config: the config file ${file} is not JSON; fix it or remove it\n`,
    });
    await writeFile(file, '{"concurrency": "lots"}');
    expect(await longshore(['inspect', 'ping'])).toMatchObject({
      code: 1,
      stderr: `longshore inspect: concurrency (${file}): expected a positive integer, got "lots"\n`,
    });
  });

  it('longshore worker takes what its flags do not give from the settings', () => {
    const settings = {
      broker: 'amqp://u:p@rabbit:5672//',
      concurrency: 3,
      defaultQueue: 'gpu',
      tasks: ['./tasks.js'],
    };
    expect(parseWorkerArgs([], {}, '/srv', settings)).toEqual({
      options: { broker: 'amqp://u:p@rabbit:5672//', concurrency: 3, queues: ['gpu'] },
      taskModules: ['file:///srv/tasks.js'],
    });
    expect(parseWorkerArgs(['-c', '1', '-Q', 'a', '--tasks', '/x.js'], {}, '/srv', settings)).toEqual({
      options: { broker: 'amqp://u:p@rabbit:5672//', concurrency: 1, queues: ['a'] },
      taskModules: ['file:///x.js'],
    });
    // The variable wins over the file, the flag over both.
    expect(
      parseWorkerArgs([], { LONGSHORE_BROKER_URL: 'amqp://env:5672//' }, '/srv', settings)?.options.broker,
    ).toBe('amqp://env:5672//');
  });

  it('finds the file under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configFilePath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/longshore/config.json');
    expect(configFilePath({ HOME: '/h' })).toBe('/h/.config/longshore/config.json');
    expect(configFilePath({ LONGSHORE_CONFIG: '/etc/ls.json', HOME: '/h' })).toBe('/etc/ls.json');
  });

  it('--help, and usage errors', async () => {
    const help = await longshore(['config', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: longshore config list\|get KEY\|set KEY VALUE\|rm KEY/);
    expect(help.stdout).toContain('$LONGSHORE_BROKER_URL');
    expect(await longshore(['config'])).toMatchObject({
      code: 2,
      stderr: "longshore config: missing an action: list, get, set or rm (see 'longshore config --help')\n",
    });
    expect(await longshore(['config', 'set', 'concurrency'])).toMatchObject({
      code: 2,
      stderr: "longshore config: set concurrency needs a VALUE (see 'longshore config --help')\n",
    });
  });
});
