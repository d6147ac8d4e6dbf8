// TLS to the broker, against the TLS node that scripts/env/ensure-rabbitmq-tls.sh starts
// (longshore-tls@localhost, amqps://localhost:5671, certificates from its own test CA): a real
// `longshore worker`, a client and `longshore monitor` all over amqps:// with the certificate
// checked; a wrong CA, a wrong name and a bad path refused with one clear error; the client
// certificate seen by the broker; no password or key material in any output. The shared node on
// 5672 is not touched.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BrokerConnectionError,
  CeleryClient,
  closeAll,
  configure,
  dockerRun,
  resetConfiguration,
  type BrokerTlsOptions,
} from '../../src/index.js';
import { CeleryEventReader } from '../../src/celery/events/event-reader.js';
import { BUSYBOX } from '../helpers/docker.js';
import { add, sleepTask } from './helpers/test-tasks.js';
import { TEST_TASKS } from './helpers/worker-process.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/longshore.js', import.meta.url));
const TLS_DIR = '/var/lib/longshore-test/tls';
const NODE = 'longshore-tls@localhost';
const URL_TLS = 'amqps://guest:guest@localhost:5671//';
const CA = `${TLS_DIR}/ca.pem`;
const OTHER_CA = `${TLS_DIR}/other-ca.pem`;
const CERT = `${TLS_DIR}/client.pem`;
const KEY = `${TLS_DIR}/client.key`;
const TLS: BrokerTlsOptions = { ca: CA, cert: CERT, key: KEY };
const TLS_FLAGS = ['--broker-ca', CA, '--broker-cert', CERT, '--broker-key', KEY];

/** Lines of the client key (not its armour): none may appear in any output. */
const KEY_LINES = readFileSync(KEY, 'utf8')
  .split('\n')
  .filter((line) => line.length > 20 && !line.startsWith('-----'));
const queue = `lstest.${process.pid}.tls`;
const workerName = `tls-${process.pid}@${hostname()}`;

class Child {
  readonly process: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.process = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (chunk: Buffer): void => {
      this.output += chunk.toString();
    };
    this.process.stdout?.on('data', onData);
    this.process.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (this.process.exitCode !== null) throw new Error(`exited before ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGTERM');
      await this.exited;
    }
  }
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain('guest:guest');
  for (const line of KEY_LINES) expect(text).not.toContain(line);
}

async function rejection(promise: Promise<unknown>): Promise<BrokerConnectionError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerConnectionError);
    return error as BrokerConnectionError;
  }
  throw new Error('expected a BrokerConnectionError');
}

/** What the TLS node says about its client connections: name, ssl, the certificate's subject. */
async function tlsConnections(): Promise<{ name: string; ssl: string; subject: string }[]> {
  const { stdout } = await run(
    'rabbitmqctl',
    ['-q', '-n', NODE, 'list_connections', 'client_properties', 'ssl', 'peer_cert_subject'],
    { timeout: 60_000 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.includes('connection_name'))
    .map((line) => {
      const [props = '', ssl = '', subject = ''] = line.split('\t');
      const name = /\{"connection_name","([^"]*)"\}/.exec(props)?.[1] ?? '';
      return { name, ssl, subject };
    });
}

let worker: Child;

beforeAll(async () => {
  worker = new Child(
    [
      'worker',
      '--broker',
      URL_TLS,
      ...TLS_FLAGS,
      '--queues',
      queue,
      '--concurrency',
      '2',
      '--hostname',
      workerName,
      '--tasks',
      TEST_TASKS,
    ],
    { LONGSHORE_BROKER_URL: '' },
  );
  await worker.waitFor(/Connected to amqps:\/\/guest:\*\*@localhost:5671/);
});

afterEach(async () => {
  await closeAll();
  resetConfiguration();
});

afterAll(async () => {
  await worker?.stop();
  // The worker's task queue is durable: gone with the test.
  const client = await import('../../src/celery/amqp/connection.js');
  const connection = await client.AmqpConnection.open(URL_TLS, 'longshore tls test cleanup', TLS);
  const channel = await connection.channel();
  await channel.deleteQueue(queue);
  await connection.close();
  expectNoSecret(worker.output);
});

describe('TLS to the broker (amqps://, certificate verified)', () => {
  it('a task round-trips between a client and a `longshore worker` process, both over TLS', async () => {
    configure({ broker: URL_TLS, brokerTls: TLS });
    await expect(add.applyAsync([2, 3], {}, { queue }).get({ timeout: 30_000 })).resolves.toBe(5);
    const run = dockerRun.applyAsync([BUSYBOX], { pullImage: false, containerArgs: ['true'] }, { queue });
    await expect(run.get({ timeout: 60_000 })).resolves.toMatchObject({ exitCode: 0 });
  });

  it('the worker and the client present the client certificate, and the broker sees it', async () => {
    configure({ broker: URL_TLS, brokerTls: TLS });
    await add.applyAsync([1, 1], {}, { queue }).get({ timeout: 30_000 });
    const connections = await tlsConnections();
    const workers = connections.filter((c) => c.name === `longshore worker ${workerName}`);
    const clients = connections.filter((c) => c.name === `longshore client ${process.pid}`);
    expect(workers.length).toBeGreaterThan(0);
    expect(clients.length).toBeGreaterThan(0);
    for (const connection of [...workers, ...clients]) {
      expect(connection.ssl).toBe('true');
      expect(connection.subject).toMatch(/CN=longshore-test-client/);
    }
  });

  it('`longshore inspect` reaches the worker over TLS with the settings from the environment', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'inspect', 'ping', '--json', '--timeout', '2'], {
      env: {
        ...process.env,
        LONGSHORE_CONFIG: '/nonexistent/longshore-config.json',
        LONGSHORE_BROKER_URL: URL_TLS,
        LONGSHORE_BROKER_CA: CA,
        LONGSHORE_BROKER_CERT: CERT,
        LONGSHORE_BROKER_KEY: KEY,
      },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toMatchObject({ [workerName]: { ok: 'pong' } });
  });

  it('`longshore monitor` follows tasks and workers and cancels over TLS', async () => {
    const monitor = new Child(
      ['monitor', '--broker', URL_TLS, ...TLS_FLAGS, '--port', '0', '--db', ':memory:'],
      { LONGSHORE_BROKER_URL: '' },
    );
    try {
      const url = (await monitor.waitFor(/Monitor at (http:\/\/\S+)/))[1]!;
      configure({ broker: URL_TLS, brokerTls: TLS });
      // Its event reader is bound once the worker's heartbeat shows up.
      for (let i = 0; ; i++) {
        const { workers } = (await (await fetch(`${url}/api/workers`)).json()) as {
          workers: { hostname: string; online: boolean }[];
        };
        if (workers.some((w) => w.hostname === workerName && w.online)) break;
        if (i > 100) throw new Error(`the monitor never saw ${workerName}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const done = add.applyAsync([20, 22], {}, { queue });
      await expect(done.get({ timeout: 30_000 })).resolves.toBe(42);
      const long = sleepTask.applyAsync([60_000], {}, { queue });
      const task = async (id: string): Promise<{ state?: string }> =>
        (await (await fetch(`${url}/api/tasks/${id}`)).json()) as { state?: string };
      const until = async (id: string, state: string): Promise<void> => {
        for (let i = 0; (await task(id)).state !== state; i++) {
          if (i > 200) throw new Error(`task ${id} never became ${state}: ${JSON.stringify(await task(id))}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      await until(done.id, 'SUCCESS');
      await until(long.id, 'STARTED');
      // The revoke goes through the monitor's own client, over TLS too.
      expect((await fetch(`${url}/api/tasks/${long.id}/cancel`, { method: 'POST' })).ok).toBe(true);
      await expect(long.get({ timeout: 30_000 })).rejects.toThrow();
      await until(long.id, 'REVOKED');
      const names = (await tlsConnections()).map((c) => c.name);
      expect(names).toContain('longshore monitor');
    } finally {
      await monitor.stop();
    }
    expectNoSecret(monitor.output);
  });

  it('a client that trusts another CA is refused at once, saying the certificate did not verify', async () => {
    const client = new CeleryClient(URL_TLS, { tls: { ca: OTHER_CA } });
    try {
      const error = await rejection(client.revoke('0', {}));
      expect(error.message).toMatch(
        /^Cannot connect to the broker at amqps:\/\/guest:\*\*@localhost:5671\/\/: the broker's certificate did not verify \(SELF_SIGNED_CERT_IN_CHAIN: .*\); check brokerTls\.ca \(\/var\/lib\/longshore-test\/tls\/other-ca\.pem\)$/,
      );
      expect(error.retryable).toBe(false);
      expect(error.cause).toBeInstanceOf(Error);
      expectNoSecret(error.message);
    } finally {
      await client.close();
    }
    // Without a CA, Node's own roots do not know the test CA either.
    const reader = CeleryEventReader.open(URL_TLS, () => undefined, {});
    expect((await rejection(reader)).message).toMatch(/certificate did not verify.*none given/);
  });

  it('a name the certificate does not carry is refused', async () => {
    configure({ broker: URL_TLS, brokerTls: { ca: CA, servername: 'broker.example.org' } });
    const error = await rejection(add.applyAsync([1, 2], {}, { queue }).get({ timeout: 30_000 }));
    expect(error.message).toMatch(
      /the broker's certificate is not for this name \(.*broker\.example\.org.*\); check the URL's host or brokerTls\.servername \(broker\.example\.org\)/,
    );
    expect(error.retryable).toBe(false);
  });

  it('a bad path, a key that is not the certificate’s, and TLS settings on amqp:// are named', async () => {
    const open = (url: string, tls: BrokerTlsOptions) =>
      rejection(CeleryEventReader.open(url, () => undefined, { tls }));
    expect((await open(URL_TLS, { ca: `${TLS_DIR}/missing.pem` })).message).toBe(
      `Cannot read the broker CA certificate (brokerTls.ca) ${TLS_DIR}/missing.pem: no such file`,
    );
    const mismatch = await open(URL_TLS, { ca: CA, cert: CERT, key: `${TLS_DIR}/other-ca.pem` });
    expect(mismatch.message).toMatch(/^The broker client key \(brokerTls\.key\) \S+other-ca\.pem is not/);
    expect((await open(URL_TLS, { ca: KEY })).message).toMatch(
      /CA certificate \(brokerTls\.ca\) .* is not a PEM certificate/,
    );
    expectNoSecret((await open(URL_TLS, { ca: KEY })).message);
    expect((await open('amqp://guest:guest@127.0.0.1:5672//', { ca: CA })).message).toMatch(
      /TLS settings for the broker are given \(brokerTls\) but its URL amqp:\/\/guest:\*\*@127\.0\.0\.1:5672\/\/ is not amqps:\/\//,
    );
  });

  it('a `longshore worker` with the wrong CA stops with one line saying so', async () => {
    const bad = new Child(
      [
        'worker',
        '--broker',
        URL_TLS,
        '--broker-ca',
        OTHER_CA,
        '--queues',
        queue,
        '--hostname',
        `bad-${workerName}`,
      ],
      { LONGSHORE_BROKER_URL: '' },
    );
    const code = await bad.exited;
    expect(code).not.toBe(0);
    expect(bad.output).toMatch(/the broker's certificate did not verify \(SELF_SIGNED_CERT_IN_CHAIN/);
    expect(bad.output).not.toMatch(/retrying/);
    expectNoSecret(bad.output);
  });
});
