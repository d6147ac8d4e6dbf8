// The pieces of Celery's events and inspect replies that need no broker: Python reprs, the
// task-received fields, broker parameters without the password, the Lamport clock, the event
// publisher's switches, and how a dead worker's containers are recognised.
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { AmqpConnection } from '../../src/celery/amqp/connection.js';
import { CeleryEventPublisher } from '../../src/celery/events/event-publisher.js';
import {
  exceptionRepr,
  resultRepr,
  taskReceivedFields,
  utcoffset,
} from '../../src/celery/events/event-fields.js';
import { LamportClock } from '../../src/celery/lamport-clock.js';
import type { TaskRequest } from '../../src/celery/protocol/parse-task-message.js';
import { brokerInfo } from '../../src/worker/inspect-commands.js';
import { ownerIsDead } from '../../src/worker/orphans.js';
import { parseWorkerArgs } from '../../src/cli/worker-command.js';
import { ownerLabel } from '../../src/docker/ownership.js';
import { silentLogger } from '../../src/core/logger.js';

function request(overrides: Partial<TaskRequest> = {}): TaskRequest {
  return {
    id: 'id-1',
    name: 'proj.add',
    args: [2, 'x'],
    kwargs: { k: true },
    embed: null,
    retries: 1,
    eta: undefined,
    expires: undefined,
    timeLimit: undefined,
    softTimeLimit: undefined,
    rootId: 'root-1',
    parentId: 'parent-1',
    groupId: null,
    ignoreResult: false,
    replyTo: undefined,
    correlationId: 'id-1',
    priority: 0,
    argsrepr: '',
    kwargsrepr: '',
    origin: null,
    shadow: null,
    headers: {},
    delivery: { exchange: '', routingKey: 'q', redelivered: false, deliveryTag: 1 },
    ...overrides,
  };
}

describe('event fields', () => {
  it("reprs as Python writes them: exceptions, results (truncated as saferepr's 1024)", () => {
    expect(
      exceptionRepr({ exc_type: 'ContainerExitError', exc_module: 'x', exc_message: ['exit (3)'] }),
    ).toBe("ContainerExitError('exit (3)')");
    expect(exceptionRepr({ exc_type: 'KeyError', exc_module: 'builtins', exc_message: ['a', 1] })).toBe(
      "KeyError('a', 1)",
    );
    expect(exceptionRepr({ exc_type: 'TimeLimitExceeded', exc_module: 'c', exc_message: [] })).toBe(
      'TimeLimitExceeded()',
    );
    expect(resultRepr({ exitCode: 0, hookResults: [] })).toBe("{'exitCode': 0, 'hookResults': []}");
    expect(resultRepr(null)).toBe('None');
    const long = resultRepr('x'.repeat(5000));
    expect(long).toHaveLength(1024);
    expect(long.endsWith('...')).toBe(true);
  });

  it("task-received: the sender's previews (or ours), workflow ids, eta/expires texts, user and group", () => {
    expect(taskReceivedFields(request())).toEqual({
      uuid: 'id-1',
      name: 'proj.add',
      args: "(2, 'x')",
      kwargs: "{'k': True}",
      root_id: 'root-1',
      parent_id: 'parent-1',
      retries: 1,
      eta: null,
      expires: null,
    });
    const eta = '2026-11-21T11:52:59.447036+00:00';
    expect(
      taskReceivedFields(
        request({
          argsrepr: '(1,)',
          kwargsrepr: '{}',
          headers: { eta, expires: null, longshore_user: 'ada', longshore_group: 'lab' },
        }),
      ),
    ).toMatchObject({
      args: '(1,)',
      kwargs: '{}',
      eta,
      expires: null,
      longshore_user: 'ada',
      longshore_group: 'lab',
    });
  });

  it('utcoffset: hours west of UTC, as Python time.timezone // 3600', () => {
    const now = new Date();
    expect(utcoffset(now)).toBe(Math.floor(now.getTimezoneOffset() / 60));
  });
});

describe('stats()["broker"]', () => {
  it('says where the broker is, never with its password', () => {
    expect(brokerInfo('amqp://guest:s3cret@rabbit:5673//')).toMatchObject({
      hostname: 'rabbit',
      port: 5673,
      userid: 'guest',
      virtual_host: '/',
      ssl: false,
      transport: 'amqp',
    });
    expect(JSON.stringify(brokerInfo('amqp://guest:s3cret@rabbit//'))).not.toContain('s3cret');
    expect(brokerInfo('amqps://u@h/prod%2Fjobs?heartbeat=30')).toMatchObject({
      port: 5671,
      ssl: true,
      virtual_host: 'prod/jobs',
      heartbeat: 30,
    });
    expect(brokerInfo('amqp://h')).toMatchObject({ virtual_host: '/', port: 5672 });
  });
});

describe('LamportClock', () => {
  it('forwards for each message sent and moves past each one received', () => {
    const clock = new LamportClock();
    expect(clock.forward()).toBe(1);
    expect(clock.adjust(10)).toBe(11);
    expect(clock.adjust(3)).toBe(12);
    expect(clock.adjust('junk')).toBe(13);
    expect(clock.value).toBe(13);
  });
});

describe('CeleryEventPublisher', () => {
  it('drops events while unconnected; task events follow the switch; worker events always go', async () => {
    const published: { routingKey: string; body: Record<string, unknown>; properties: unknown }[] = [];
    const channel = {
      closed: false,
      assertExchange: () => Promise.resolve(),
      publish: (_exchange: string, routingKey: string, body: Buffer, properties: unknown) => {
        published.push({
          routingKey,
          body: JSON.parse(body.toString()) as Record<string, unknown>,
          properties,
        });
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    const connection = { channel: () => Promise.resolve(channel) } as unknown as AmqpConnection;
    const publisher = new CeleryEventPublisher({
      hostname: 'w@h',
      clock: new LamportClock(),
      taskEvents: false,
      counters: () => ({ active: 1, processed: 7 }),
      logger: silentLogger(),
    });
    publisher.workerOnline();
    expect(publisher.dropped).toBe(1);
    await publisher.connected(connection);
    publisher.workerOnline();
    publisher.taskReceived(request());
    expect(publisher.setTaskEvents(true)).toBe(true);
    expect(publisher.setTaskEvents(true)).toBe(false);
    publisher.taskStarted(request());
    publisher.taskRevoked({ id: 'id-1', name: 'proj.add' }, { terminated: true, signum: 9, expired: false });
    publisher.workerOffline();
    await publisher.close();
    expect(published.map((p) => [p.routingKey, p.body.type])).toEqual([
      ['worker.online', 'worker-online'],
      ['task.started', 'task-started'],
      ['task.revoked', 'task-revoked'],
      ['worker.offline', 'worker-offline'],
    ]);
    expect(published[0]!.body).toMatchObject({
      hostname: 'w@h',
      pid: process.pid,
      clock: 1,
      freq: 2,
      active: 1,
      processed: 7,
      sw_ident: 'longshore',
      type: 'worker-online',
    });
    expect(published[2]!.body).toMatchObject({ uuid: 'id-1', terminated: true, signum: 9, expired: false });
    expect(published[0]!.properties).toEqual({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 1,
      headers: { hostname: 'w@h' },
    });
  });
});

describe("a dead worker's containers", () => {
  it('are those of a process gone from this host; never a live one, nor another host', async () => {
    expect(ownerIsDead(ownerLabel())).toBe(false);
    const child = spawn('true');
    const pid = child.pid!;
    const label = ownerLabel(pid);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(ownerIsDead(label)).toBe(true);
    expect(ownerIsDead(`${hostname()}:${process.pid}:1`)).toBe(true); // a recycled pid
    expect(ownerIsDead(`some-other-host:${pid}:1`)).toBe(false);
  });
});

describe('longshore worker: event options', () => {
  it('--without-task-events, --without-events, and -E (the default) against its opposite', () => {
    const base = ['-b', 'amqp://h//'];
    expect(parseWorkerArgs([...base, '--without-task-events'], {})?.options).toMatchObject({
      taskEvents: false,
    });
    expect(parseWorkerArgs([...base, '--without-events'], {})?.options).toMatchObject({ sendEvents: false });
    expect(parseWorkerArgs([...base, '-E'], {})?.options).not.toHaveProperty('taskEvents');
    expect(() => parseWorkerArgs([...base, '-E', '--without-task-events'], {})).toThrow(/contradict/);
  });
});
