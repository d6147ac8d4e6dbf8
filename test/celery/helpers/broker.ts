// The real RabbitMQ for the distributed-mode tests: unique queue names per test, an admin
// connection to publish raw messages and read raw results, and checks that each test deleted its
// queues and closed its clients and workers.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import {
  AmqpConnection,
  type AmqpChannel,
  type PublishProperties,
} from '../../../src/celery/amqp/connection.js';
import { closeAll, resetConfiguration, Worker, type WorkerOptions } from '../../../src/index.js';
import { acquireShared } from './broker-lock.js';
import { lineLogger } from '../../helpers/logs.js';

const run = promisify(execFile);

export const BROKER = process.env.LONGSHORE_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';

/** Every name this process makes starts with this: `lstest.<pid>.` */
export const NAME_PREFIX = `lstest.${process.pid}.`;
let counter = 0;

export function uniqueName(label: string): string {
  return `${NAME_PREFIX}${label}.${++counter}`;
}

/** The queue names the broker has now (rabbitmqctl, as an operator would look). */
export async function listQueues(): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name'], { timeout: 60_000 });
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'name');
}

export interface RawResult {
  correlationId: string | undefined;
  body: Record<string, unknown>;
}

/** A plain connection for what a test does by hand: raw publishes, raw results, deletions. */
export class BrokerAdmin {
  readonly replyQueue = uniqueName('replies');
  readonly results: RawResult[] = [];
  readonly #waiters = new Set<() => void>();

  private constructor(
    public connection: AmqpConnection,
    public channel: AmqpChannel,
  ) {}

  static async open(): Promise<BrokerAdmin> {
    const connection = await AmqpConnection.open(BROKER, 'longshore test admin');
    const channel = await connection.channel();
    const admin = new BrokerAdmin(connection, channel);
    await channel.assertQueue(admin.replyQueue, { durable: false, exclusive: true, autoDelete: true });
    await channel.consume(
      admin.replyQueue,
      (message) => {
        if (!message) return;
        admin.results.push({
          correlationId: message.correlationId,
          body: JSON.parse(message.content.toString('utf8')) as Record<string, unknown>,
        });
        for (const wake of admin.#waiters) wake();
      },
      { noAck: true },
    );
    return admin;
  }

  async publish(queue: string, body: string | Buffer, properties: PublishProperties): Promise<void> {
    await this.channel.publish(
      '',
      queue,
      Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
      properties,
    );
  }

  /** The first result message for `taskId` in one of `states` (READY states by default). */
  async result(
    taskId: string,
    states: readonly string[] = ['SUCCESS', 'FAILURE', 'REVOKED'],
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.results.find(
        (r) => r.body.task_id === taskId && states.includes(String(r.body.status)),
      );
      if (found) return found.body;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${states.join('/')} result for ${taskId} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        const waiters = this.#waiters;
        waiters.add(done);
      });
    }
  }

  /** Messages waiting in `queue` (0 when it does not exist). */
  async depth(queue: string): Promise<number> {
    const channel = await (await this.#live()).channel();
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch {
      return 0;
    } finally {
      await channel.close();
    }
  }

  /** Deletes queues and their same-named exchanges (Celery declares both). */
  async deleteQueues(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const connection = await this.#live();
      const channel = await connection.channel();
      await channel.deleteQueue(name).catch(() => undefined);
      const again = channel.closed ? await connection.channel() : channel;
      await again.deleteExchange(name).catch(() => undefined);
      await again.close();
      if (again !== channel) await channel.close();
    }
  }

  /** The connection, opened again if a broker restart cut it (raw results then stop arriving). */
  async #live(): Promise<AmqpConnection> {
    if (this.connection.closed) {
      this.connection = await AmqpConnection.open(BROKER, 'longshore test admin');
      this.channel = await this.connection.channel();
    }
    return this.connection;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

export interface BrokerFixture {
  readonly admin: BrokerAdmin;
  /** A new queue name, deleted (with its exchange) after the test; the test fails if it is left. */
  queue(label: string): string;
  /** A node name for a worker. */
  hostname(label: string): string;
  /** Starts an in-process worker; it is stopped after the test. */
  startWorker(options: Omit<WorkerOptions, 'broker'> & { broker?: string }): Promise<Worker>;
  /** A task id. */
  id(): string;
}

/**
 * Use once at the top of a test file (after useLeakChecks). Each test holds the broker lock
 * shared (see broker-lock.ts), and after it: its workers are stopped, clients closed, its queues
 * deleted, and `rabbitmqctl list_queues` must not show any of them any more.
 */
export function useBroker(): BrokerFixture {
  let admin: BrokerAdmin | undefined;
  let release: (() => void) | undefined;
  let queues: string[] = [];
  let workers: Worker[] = [];

  // Per test, inside the lock: a broker restart in another file never cuts it.
  beforeEach(async () => {
    release = await acquireShared();
    admin = await BrokerAdmin.open();
  });
  afterEach(async () => {
    try {
      await Promise.all(workers.map((w) => w.close()));
      await closeAll();
      resetConfiguration();
      await admin!.deleteQueues(queues);
      await admin!.close();
      const left = (await listQueues()).filter((q) => queues.includes(q) || q === admin!.replyQueue);
      expect(left, 'queues left on the broker').toEqual([]);
    } finally {
      queues = [];
      workers = [];
      admin = undefined;
      release?.();
    }
  });
  afterAll(async () => {
    const left = (await listQueues()).filter((q) => q.startsWith(NAME_PREFIX));
    expect(left, 'queues of this test file left on the broker').toEqual([]);
  });

  return {
    get admin() {
      return admin!;
    },
    queue(label) {
      const name = uniqueName(label);
      queues.push(name);
      return name;
    },
    hostname(label) {
      return `${uniqueName(label)}@test`;
    },
    async startWorker(options) {
      const logs: string[] = [];
      const worker = new Worker({
        broker: BROKER,
        ...options,
        logger: options.logger ?? lineLogger(logs),
      });
      workers.push(worker);
      await worker.start();
      return worker;
    },
    id: () => randomUUID(),
  };
}
