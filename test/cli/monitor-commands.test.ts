// `longshore status` and `longshore jobs` against a tiny HTTP server that answers the monitor's
// contract (GET /api/tasks/:id, GET /api/tasks?user=&group=&state=&limit=): the real monitor is
// tested on its own. Also the bad-input lines every command shares.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/longshore.js', import.meta.url));
const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

const base = {
  name: 'girder_worker.docker.tasks.docker_run',
  worker: 'w1@host',
  queue: 'celery',
  args: "('alpine',)",
  kwargs: '{}',
  result: null,
  error: null,
  progress: null,
};
const TASKS = [
  {
    ...base,
    id: 'bbbbbbbb-0000-4000-8000-000000000002',
    image: 'alpine',
    state: 'FAILURE',
    user: 'alice',
    group: 'lab',
    created: '2026-06-01T16:13:21.959Z',
    received: '2026-06-01T16:13:22.000Z',
    started: '2026-06-01T16:13:22.100Z',
    ended: '2026-06-01T16:13:23.600Z',
    runtime: 1.5,
    exitCode: 3,
    error: 'ContainerExitError: Non-zero exit code from docker container (3): oops',
  },
  {
    ...base,
    id: 'aaaaaaaa-0000-4000-8000-000000000001',
    image: 'longshore/tool',
    state: 'STARTED',
    user: 'alice',
    group: 'other',
    created: '2026-06-01T16:13:16.499Z',
    received: '2026-06-01T16:13:16.500Z',
    started: '2026-06-01T16:13:16.502Z',
    ended: null,
    runtime: null,
    exitCode: null,
    progress: { current: 2, total: 5, message: 'step two' },
  },
];

let server: Server;
let monitorUrl: string;
const requests: string[] = [];

function answer(req: IncomingMessage): { status: number; body: unknown } {
  const url = new URL(req.url ?? '/', 'http://x');
  const one = /^\/api\/tasks\/([^/]+)$/.exec(url.pathname);
  if (one) {
    const task = TASKS.find((t) => t.id === decodeURIComponent(one[1]!));
    return task
      ? { status: 200, body: { ...task, log: 'line one\nline two\n' } }
      : { status: 404, body: { error: 'no such task' } };
  }
  if (url.pathname === '/api/tasks') {
    const q = url.searchParams;
    const tasks = TASKS.filter(
      (t) =>
        (!q.get('user') || t.user === q.get('user')) &&
        (!q.get('group') || t.group === q.get('group')) &&
        (!q.get('state') || t.state === q.get('state')),
    ).slice(0, Number(q.get('limit') ?? 100));
    return { status: 200, body: { tasks } };
  }
  return { status: 404, body: { error: 'not found' } };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const { status, body } = answer(req);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  monitorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function longshore(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LONGSHORE_')) clean[k] = v;
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: {
        ...clean,
        LONGSHORE_CONFIG: '/nonexistent/longshore.json',
        LONGSHORE_MONITOR_URL: monitorUrl,
        ...env,
      },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.concurrent('longshore status', () => {
  it("prints a task's record as aligned key: value lines", async () => {
    const out = await longshore(['status', 'bbbbbbbb-0000-4000-8000-000000000002']);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout).toContain('id:       bbbbbbbb-0000-4000-8000-000000000002\n');
    expect(out.stdout).toContain('state:    FAILURE\n');
    expect(out.stdout).toContain('worker:   w1@host\n');
    expect(out.stdout).toContain('user:     alice\n');
    expect(out.stdout).toContain('runtime:  1.500 s\n');
    expect(out.stdout).toContain('exitCode: 3\n');
    expect(out.stdout).toContain(
      'error:    ContainerExitError: Non-zero exit code from docker container (3): oops\n',
    );
    expect(out.stdout).not.toContain('line one');
    expect((await longshore(['status', '--log', 'bbbbbbbb-0000-4000-8000-000000000002'])).stdout).toMatch(
      /\nlog:\nline one\nline two\n$/,
    );
  });

  it('shows progress, and --json gives the raw record', async () => {
    const text = await longshore(['status', 'aaaaaaaa-0000-4000-8000-000000000001']);
    expect(text.stdout).toContain('progress: 2/5 step two\n');
    expect(text.stdout).toContain('ended:    -\n');
    const json = await longshore(['status', '--json', 'aaaaaaaa-0000-4000-8000-000000000001']);
    expect(JSON.parse(json.stdout)).toEqual({ ...TASKS[1], log: 'line one\nline two\n' });
  });

  it('an unknown id: one line, exit 1', async () => {
    expect(await longshore(['status', 'cccccccc-0000-4000-8000-000000000009'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "longshore status: no task cccccccc-0000-4000-8000-000000000009 at the monitor (no such task); check the id with 'longshore jobs'\n",
    });
  });

  it('a monitor that is not running: one line saying how to start it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    for (const command of [['status', 'abc'], ['jobs']]) {
      expect(await longshore(command, { LONGSHORE_MONITOR_URL: url })).toEqual({
        code: 1,
        stdout: '',
        stderr: `longshore ${command[0]}: cannot reach the monitor at ${url} (connection refused); start it with 'longshore monitor' or set monitorUrl\n`,
      });
    }
  });
});

describe.concurrent('longshore jobs', () => {
  it('a table sorted by time, oldest first, filtered by the monitor', async () => {
    const out = await longshore(['jobs', '--user', 'alice']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CREATED +ID +STATE +IMAGE +USER +GROUP +WORKER +RUNTIME +EXIT$/);
    expect(lines[1]).toMatch(
      /^2026-06-01T16:13:16.499Z +aaaaaaaa-\S+ +STARTED +longshore\/tool +alice +other +w1@host +- +-$/,
    );
    expect(lines[2]).toMatch(
      /^2026-06-01T16:13:21.959Z +bbbbbbbb-\S+ +FAILURE +alpine +alice +lab +w1@host +1\.5s +3$/,
    );
    expect(lines).toHaveLength(3);
    expect(requests).toContain('/api/tasks?user=alice&limit=100');
  });

  it("--summary: one line each, as moi's userjobs --summary; the filters go to the monitor", async () => {
    const out = await longshore([
      'jobs',
      '--group',
      'lab',
      '--state',
      'failure',
      '--summary',
      '--limit',
      '5',
    ]);
    expect(out).toEqual({
      code: 0,
      stdout:
        'date: 2026-06-01T16:13:21.959Z    id: bbbbbbbb-0000-4000-8000-000000000002    state: FAILURE    exit: 3\n',
      stderr: '',
    });
    expect(requests).toContain('/api/tasks?group=lab&state=FAILURE&limit=5');
    const json = JSON.parse((await longshore(['jobs', '--json'])).stdout) as { id: string }[];
    expect(json.map((t) => t.id)).toEqual([TASKS[1]!.id, TASKS[0]!.id]);
    expect(await longshore(['jobs', '--user', 'nobody'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'no tasks\n',
    });
  });

  it('bad flags: one line, exit 2', async () => {
    expect(await longshore(['jobs', '--state', 'DONE'])).toMatchObject({
      code: 2,
      stderr:
        "longshore jobs: invalid --state 'DONE': expected one of PENDING, RECEIVED, STARTED, SUCCESS, FAILURE, RETRY, REVOKED, REJECTED (see 'longshore jobs --help')\n",
    });
    expect(await longshore(['jobs', '--limit', '0'])).toMatchObject({ code: 2 });
  });
});

describe.concurrent('bad input, every command', () => {
  it('unknown commands and flags, bad ids, missing arguments: one line, exit 2, no stack trace', async () => {
    const cases: [string[], string][] = [
      [['frobnicate'], "longshore: unknown command 'frobnicate' (see 'longshore --help')"],
      [['--frob'], "longshore: unknown option '--frob' (see 'longshore --help')"],
      [
        ['submit', '--frob', 'alpine'],
        "longshore submit: unknown option '--frob' (see 'longshore submit --help')",
      ],
      [['submit'], "longshore submit: missing IMAGE (see 'longshore submit --help')"],
      [
        ['status', 'a b'],
        "longshore status: invalid ID 'a b': expected a task id such as 2f0b7c1e-9a4d-4c1b-8f3e-5d6a7b8c9d0e (see 'longshore status --help')",
      ],
      [['status'], "longshore status: missing ID (see 'longshore status --help')"],
      [
        ['cancel', 'x/y'],
        "longshore cancel: invalid ID 'x/y': expected a task id such as 2f0b7c1e-9a4d-4c1b-8f3e-5d6a7b8c9d0e (see 'longshore cancel --help')",
      ],
      [
        ['inspect', 'frob'],
        "longshore inspect: unknown inspect command 'frob': expected one of ping, active, registered, stats, reserved, scheduled, revoked, active_queues (see 'longshore inspect --help')",
      ],
      [
        ['inspect', 'ping', '--timeout', 'soon'],
        "longshore inspect: invalid --timeout 'soon': expected a number of seconds (see 'longshore inspect --help')",
      ],
      [
        ['submit', 'alpine', 'cat', '{in:/etc/hosts}'],
        "longshore submit: {in:...} and {out:...} read and write this machine's files, which a worker elsewhere cannot: use 'longshore run' (see 'longshore submit --help')",
      ],
    ];
    const outcomes = await Promise.all(cases.map(([args]) => longshore(args)));
    outcomes.forEach((out, i) => {
      expect(out, cases[i]![0].join(' ')).toEqual({ code: 2, stdout: '', stderr: `${cases[i]![1]}\n` });
    });
  });

  it('no broker, or one that cannot be reached: one line that says what to do, exit 1', async () => {
    expect(await longshore(['submit', 'alpine'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "longshore submit: no broker configured: set one with 'longshore config set broker amqp://USER:PASS@HOST:5672//' or $LONGSHORE_BROKER_URL\n",
    });
    const env = { LONGSHORE_BROKER_URL: 'amqp://guest:hunter22@127.0.0.1:1//' };
    const commands = [
      ['submit', 'alpine'],
      ['cancel', 'abc'],
      ['inspect', 'ping'],
    ];
    const outcomes = await Promise.all(commands.map((args) => longshore(args, env)));
    for (const [i, args] of commands.entries()) {
      const out = outcomes[i]!;
      expect(out.code, args.join(' ')).toBe(1);
      expect(out.stdout).toBe('');
      expect(out.stderr).toMatch(
        new RegExp(
          `^longshore ${args[0]}: Cannot connect to the broker at amqp://guest:\\*\\*@127\\.0\\.0\\.1:1//: connection refused.*; check that RabbitMQ runs there, or set the broker with 'longshore config set broker URL' or \\$LONGSHORE_BROKER_URL\\n$`,
        ),
      );
      expect(out.stderr).not.toContain('hunter22');
    }
  });

  it('--help for every command', async () => {
    const commands = ['submit', 'status', 'jobs', 'cancel', 'inspect', 'config'];
    const helps = await Promise.all(commands.map((command) => longshore([command, '--help'])));
    for (const [i, command] of commands.entries()) {
      const out = helps[i]!;
      expect(out.code, command).toBe(0);
      expect(out.stdout, command).toMatch(new RegExp(`^Usage: longshore ${command} `));
    }
    const main = await longshore(['--help']);
    for (const command of ['run', 'worker', 'submit', 'status', 'jobs', 'cancel', 'inspect', 'config']) {
      expect(main.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });
});
