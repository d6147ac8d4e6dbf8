// submit, cancel and inspect as a user runs them: the CLI in a child process, a real RabbitMQ, a
// real `longshore worker` process running real containers, and a real Python Celery worker.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE, listTaskContainers, sleep, waitForRunningTaskContainer } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { BROKER, useBroker } from '../celery/helpers/broker.js';
import { EventTap } from '../celery/helpers/event-tap.js';
import { celeryApp, usePython } from '../celery/helpers/python.js';
import { useWorkerProcesses, type WorkerProcess } from '../celery/helpers/worker-process.js';

useLeakChecks({ fds: false });
const broker = useBroker();
const spawnWorker = useWorkerProcesses();
const python = usePython();

const BIN = fileURLToPath(new URL('../../bin/longshore.js', import.meta.url));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function longshore(args: string[]): Promise<Outcome> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LONGSHORE_')) env[k] = v;
  const child = spawn(process.execPath, [BIN, ...args], {
    env: {
      ...env,
      LONGSHORE_BROKER_URL: BROKER,
      LONGSHORE_CONFIG: '/nonexistent/longshore.json',
      LONGSHORE_TMP_ROOT: process.env.LONGSHORE_TMP_ROOT,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A longshore worker on a queue of its own, ready for tasks and remote control. */
async function startWorker(
  label: string,
): Promise<{ queue: string; hostname: string; worker: WorkerProcess }> {
  const queue = broker.queue(label);
  const hostname = broker.hostname(label);
  const worker = spawnWorker(['--queues', queue, '--concurrency', '2', '--hostname', hostname]);
  await worker.waitFor(/Connected to amqp:\/\//);
  // Its control queue exists once it answers a ping.
  for (let i = 0; i < 30; i++) {
    const ping = await longshore([
      'inspect',
      'ping',
      '--json',
      '--destination',
      hostname,
      '--timeout',
      '0.5',
    ]);
    if (ping.code === 0) break;
  }
  return { queue, hostname, worker };
}

function recordId(stdout: string): string {
  const match = /^id: +(\S+)$/m.exec(stdout) ?? /"id":"([^"]+)"/.exec(stdout);
  if (!match) throw new Error(`no id in:\n${stdout}`);
  return match[1]!;
}

describe('longshore submit', () => {
  it('sends a docker_run tagged with user and group, announces it with task-sent, and --wait prints the output and the record', async () => {
    const { queue, hostname } = await startWorker('submit');
    const tap = await EventTap.open();
    try {
      const out = await longshore([
        'submit',
        '--queue',
        queue,
        '--user',
        'alice',
        '--group',
        'lab',
        '--wait',
        CONFORMANCE,
        'stdio',
        '-m',
        'hello from the worker',
      ]);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toMatch(/^hello from the worker\n/);
      expect(out.stdout).toMatch(/^state: +SUCCESS$/m);
      expect(out.stdout).toContain(`worker:   ${hostname}\n`);
      expect(out.stdout).toContain('user:     alice\n');
      expect(out.stdout).toContain('group:    lab\n');
      expect(out.stdout).toContain(`image:    ${CONFORMANCE}\n`);
      expect(out.stdout).toMatch(/^exitCode: 0$/m);
      const id = recordId(out.stdout);
      await tap.until((events) => events.some((e) => e.body.uuid === id && e.body.type === 'task-succeeded'));
      const of = (type: string) =>
        tap.events.map((e) => e.body).filter((b) => b.uuid === id && b.type === type);
      expect(of('task-sent')).toEqual([
        expect.objectContaining({
          name: 'girder_worker.docker.tasks.docker_run',
          queue,
          routing_key: queue,
          exchange: '',
          retries: 0,
          root_id: id,
          parent_id: null,
          user: 'alice',
          group: 'lab',
          image: CONFORMANCE,
          args: `('${CONFORMANCE}',)`,
          pid: expect.any(Number),
          clock: expect.any(Number),
          timestamp: expect.any(Number),
          utcoffset: expect.any(Number),
        }),
      ]);
      expect(of('task-received')).toEqual([
        expect.objectContaining({ hostname, user: 'alice', group: 'lab', image: CONFORMANCE }),
      ]);
      expect(of('task-log')).toEqual([
        expect.objectContaining({ hostname, stream: 'stdout', text: 'hello from the worker\n' }),
      ]);
      // task-sent comes before anything the worker says of the task.
      const types = tap.events.filter((e) => e.body.uuid === id).map((e) => e.body.type);
      expect(types[0]).toBe('task-sent');
    } finally {
      await tap.close();
    }
  });

  it('without --wait prints only the id, which a worker then runs', async () => {
    const { queue, worker } = await startWorker('nowait');
    const out = await longshore(['submit', '-Q', queue, CONFORMANCE, 'stdio', '-m', 'x']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
    const id = out.stdout.trim();
    await worker.waitFor(new RegExp(`\\[${id}\\] succeeded`));
    const json = await longshore(['submit', '--json', '-Q', queue, CONFORMANCE, 'stdio', '-m', 'y']);
    const sent = JSON.parse(json.stdout) as { id: string };
    expect(sent).toEqual({ id: expect.any(String), queue });
    await worker.waitFor(new RegExp(`\\[${sent.id}\\] succeeded`));
  });

  it('--wait shows progress (batched by the worker) and exits with the container exit code when it fails', async () => {
    const { queue } = await startWorker('progress');
    const tap = await EventTap.open();
    try {
      const steps = Array.from({ length: 10 }, (_, i) => ({
        current: i + 1,
        total: 10,
        message: `step ${i + 1}`,
      }));
      const ok = await longshore([
        'submit',
        '--wait',
        '--json',
        '-Q',
        queue,
        CONFORMANCE,
        'progress',
        '-p',
        '{progress}',
        '--progressions',
        JSON.stringify(steps),
      ]);
      expect(ok.code, ok.stderr).toBe(0);
      // Not a terminal: plain progress lines on stderr, the record alone on stdout.
      expect(ok.stderr).toMatch(/^progress: 10\/10 step 10$/m);
      const record = JSON.parse(ok.stdout) as Record<string, unknown>;
      expect(record).toMatchObject({
        state: 'SUCCESS',
        exitCode: 0,
        progress: { current: 10, total: 10, message: 'step 10' },
      });
      await tap.until((events) =>
        events.some((e) => e.body.uuid === record.id && e.body.type === 'task-succeeded'),
      );
      const progress = tap.events.filter((e) => e.body.uuid === record.id && e.body.type === 'task-progress');
      // Ten reports 0.1 s apart go out as a few events (about 4 a second), the last one always.
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress.length).toBeLessThan(10);
      expect(progress.at(-1)!.body).toMatchObject({ current: 10, total: 10, message: 'step 10' });

      const failed = await longshore([
        'submit',
        '--wait',
        '-Q',
        queue,
        CONFORMANCE,
        'stderr-then-exit',
        '-m',
        'oops',
        '-c',
        '3',
      ]);
      expect(failed.code).toBe(3);
      expect(failed.stderr).toContain('oops\n');
      expect(failed.stdout).toMatch(/^state: +FAILURE$/m);
      expect(failed.stdout).toMatch(/^exitCode: 3$/m);
      expect(failed.stdout).toMatch(
        /^error: +ContainerExitError: Non-zero exit code from docker container \(3\): oops$/m,
      );
    } finally {
      await tap.close();
    }
  });
});

describe('longshore submit on a terminal', () => {
  it('--wait draws a progress bar (under script(1), a pseudo-terminal); without one, plain lines', async () => {
    const { queue } = await startWorker('tty');
    const steps = Array.from({ length: 5 }, (_, i) => ({ current: i + 1, total: 5, message: 'working' }));
    const command = [
      process.execPath,
      BIN,
      'submit',
      '--wait',
      '-Q',
      queue,
      CONFORMANCE,
      'progress',
      '-p',
      '{progress}',
      '--progressions',
      JSON.stringify(steps),
    ]
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
      .join(' ');
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LONGSHORE_')) env[k] = v;
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      env: {
        ...env,
        LONGSHORE_BROKER_URL: BROKER,
        LONGSHORE_CONFIG: '/nonexistent/longshore.json',
        LONGSHORE_TMP_ROOT: process.env.LONGSHORE_TMP_ROOT,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, output).toBe(0);
    // A bar redrawn in place.
    expect(output).toMatch(/\[#{4,20} *\] \d+% working/);
    // The record's own `progress:` line is the only one: no plain progress lines.
    expect(output.match(/progress: /g)).toHaveLength(1);
    expect(output).toMatch(/state: +SUCCESS/);
  });
});

describe('longshore cancel', () => {
  it('revokes a running task with terminate: its container stops and the waiting submit exits non-zero', async () => {
    const started = await startWorker('cancel');
    const { queue, worker } = started;
    const waiting = longshore(['submit', '--wait', '-Q', queue, CONFORMANCE, 'sigterm']);
    let id: string | undefined;
    for (let i = 0; i < 300 && !id; i++) {
      id = /docker_run\[([0-9a-f-]{36})\] received/.exec(worker.output)?.[1];
      if (!id) await sleep(100);
    }
    expect(id).toBeDefined();
    await waitForRunningTaskContainer(id!);
    const { hostname } = started;
    const active = JSON.parse(
      (await longshore(['inspect', 'active', '--json', '-d', hostname])).stdout,
    ) as Record<string, { id: string }[]>;
    expect(active[hostname]!.map((t) => t.id)).toEqual([id]);
    const cancel = await longshore(['cancel', id!]);
    expect(cancel).toEqual({ code: 0, stdout: '', stderr: `revoke sent for ${id}\n` });
    await worker.waitFor(new RegExp(`\\[${id}\\] terminated`));
    const out = await waiting;
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^state: +REVOKED$/m);
    for (let i = 0; i < 50 && (await listTaskContainers(id!)).length > 0; i++) await sleep(100);
    expect(await listTaskContainers(id!)).toEqual([]);
  });
});

describe('longshore inspect', () => {
  it('ping and registered: a longshore worker and a Python Celery worker both answer', async () => {
    const { hostname } = await startWorker('inspect');
    const pyQueue = broker.queue('inspect-py');
    const pyHost = broker.hostname('inspect-py');
    await python.startWorker(
      `${celeryApp('pyinspect')}
@app.task(name='pyinspect.hello')
def hello():
    return 'hi'
`,
      pyQueue,
      pyHost,
    );
    const both = `${hostname},${pyHost}`;
    const ping = await longshore(['inspect', 'ping', '--json', '-d', both, '--timeout', '2']);
    expect(ping.code, ping.stderr).toBe(0);
    expect(JSON.parse(ping.stdout)).toEqual({ [hostname]: { ok: 'pong' }, [pyHost]: { ok: 'pong' } });

    const registered = await longshore(['inspect', 'registered', '--json', '-d', both, '--timeout', '2']);
    const replies = JSON.parse(registered.stdout) as Record<string, string[]>;
    expect(replies[hostname]).toContain('girder_worker.docker.tasks.docker_run');
    expect(replies[pyHost]).toContain('pyinspect.hello');

    const text = await longshore(['inspect', 'ping', '-d', both, '--timeout', '2']);
    expect(text.stdout).toContain(`-> ${hostname}: OK\n    pong\n`);
    expect(text.stdout).toContain(`-> ${pyHost}: OK\n    pong\n`);
    expect(text.stdout).toMatch(/\n2 nodes online\.\n$/);

    const stats = JSON.parse(
      (await longshore(['inspect', 'stats', '--json', '-d', hostname])).stdout,
    ) as Record<string, { pool?: unknown }>;
    expect(stats[hostname]).toHaveProperty('pool');

    expect(await longshore(['inspect', 'ping', '-d', 'nobody@nowhere', '--timeout', '0.5'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'longshore inspect: no worker answered within 0.5 s; are workers running on this broker?\n',
    });
  });
});
