// The pure parts of the distributed mode: header encoding, Python text forms, exception mapping,
// dockerRun's wire names, results, the revoked set, configuration and `longshore worker` arguments.
import { describe, expect, it } from 'vitest';
import { encodeHeaders } from '../../src/celery/amqp/header-encoding.js';
import { fromWireKwargs, toWireKwargs } from '../../src/docker-run/docker-run-wire.js';
import { fromWireException, toWireException } from '../../src/celery/protocol/exception-info.js';
import { reviveKombuJson } from '../../src/celery/protocol/kombu-json.js';
import {
  argsRepr,
  kwargsRepr,
  parseIsoTime,
  toPythonIsoTime,
} from '../../src/celery/protocol/python-values.js';
import { buildResultMessage, parseResultMessage } from '../../src/celery/protocol/result-message.js';
import { RevokedSet } from '../../src/worker/revoked-set.js';
import { UsageError } from '../../src/cli/args.js';
import { parseWorkerArgs } from '../../src/cli/worker-command.js';
import {
  ContainerExitError,
  TaskCancelledError,
  TaskNotRegisteredError,
  TimeLimitExceededError,
  ValidationError,
  VolumePath,
  configure,
  getConfiguration,
  resetConfiguration,
} from '../../src/index.js';

describe('header encoding', () => {
  it('tags every integer int32 (int64 beyond), leaves floats, strings, null, lists and tables', () => {
    expect(
      encodeHeaders({
        a: -1,
        b: 300,
        c: 70_000,
        d: 2 ** 40,
        e: 1.5,
        f: 's',
        g: null,
        h: [1, [2]],
        i: { j: -2 },
      }),
    ).toEqual({
      a: { '!': 'int32', value: -1 },
      b: { '!': 'int32', value: 300 },
      c: { '!': 'int32', value: 70_000 },
      d: { '!': 'int64', value: 2 ** 40 },
      e: 1.5,
      f: 's',
      g: null,
      h: [{ '!': 'int32', value: 1 }, [{ '!': 'int32', value: 2 }]],
      i: { j: { '!': 'int32', value: -2 } },
    });
  });
});

describe('Python text forms', () => {
  it('writes times as Python does and reads them back, with Z, offsets or microseconds', () => {
    const date = new Date('2026-11-21T11:52:59.447Z');
    expect(toPythonIsoTime(date)).toBe('2026-11-21T11:52:59.447000+00:00');
    expect(parseIsoTime('2026-11-21T11:52:59.447036+00:00')?.toISOString()).toBe('2026-11-21T11:52:59.447Z');
    expect(parseIsoTime('2026-11-21T12:52:59+01:00')?.toISOString()).toBe('2026-11-21T11:52:59.000Z');
    expect(parseIsoTime('2026-11-21T11:52:59')?.toISOString()).toBe('2026-11-21T11:52:59.000Z');
    expect(parseIsoTime('tomorrow')).toBeUndefined();
  });

  it('previews arguments like saferepr', () => {
    expect(argsRepr(['busybox'])).toBe("('busybox',)");
    expect(argsRepr([2, 2])).toBe('(2, 2)');
    expect(kwargsRepr({ pull_image: false, x: null, l: ["it's"] })).toBe(
      `{'pull_image': False, 'x': None, 'l': ["it's"]}`,
    );
    expect(kwargsRepr({ p: new VolumePath('o.txt') })).toBe(`{'p': <VolumePath: VolumePath("o.txt")>}`);
    expect(argsRepr(['x'.repeat(2000)])).toHaveLength(1024);
  });
});

describe('exceptions on the wire', () => {
  it('maps longshore errors to the Python exceptions a Python client raises', () => {
    expect(toWireException(new ContainerExitError(3, ''))).toEqual({
      exc_type: 'ContainerExitError',
      exc_module: 'longshore.errors',
      exc_message: ['Non-zero exit code from docker container (3)'],
    });
    expect(toWireException(new TaskCancelledError('revoked'))).toMatchObject({
      exc_type: 'TaskRevokedError',
      exc_module: 'celery.exceptions',
    });
    expect(toWireException(new TimeLimitExceededError(5))).toMatchObject({
      exc_type: 'TimeLimitExceeded',
      exc_module: 'celery.exceptions',
    });
    expect(toWireException(new TaskNotRegisteredError('x.y'))).toEqual({
      exc_type: 'NotRegistered',
      exc_module: 'celery.exceptions',
      exc_message: ['x.y'],
    });
    expect(toWireException(new ValidationError('f', 1, 'bad'))).toMatchObject({
      exc_type: 'ValueError',
      exc_module: 'builtins',
    });
    expect(toWireException(new Error('x'))).toMatchObject({ exc_type: 'Exception', exc_module: 'builtins' });
    expect(toWireException(new Error('amqp://u:hunter22@h/'))).toMatchObject({
      exc_message: ['amqp://u:**@h/'],
    });
  });

  it('reads what Python workers send, exc_message as a list or a string', () => {
    const error = fromWireException(
      'id',
      { exc_type: 'ValueError', exc_message: ['boom'], exc_module: 'builtins' },
      'Traceback',
    );
    expect(error).toMatchObject({
      code: 'ERR_REMOTE_TASK',
      excType: 'ValueError',
      excModule: 'builtins',
      excMessage: 'boom',
      traceback: 'Traceback',
    });
    expect(fromWireException('id', { exc_type: 'E', exc_message: 'text' }, null)).toMatchObject({
      excArgs: ['text'],
      excModule: 'builtins',
    });
    expect(fromWireException('id', 'odd', null)).toMatchObject({ excType: 'Exception', excArgs: ['odd'] });
  });

  it("revives kombu's typed JSON values in results", () => {
    expect(
      reviveKombuJson([
        { __type__: 'datetime', __value__: '2026-01-01T12:00:00+00:00' },
        { __type__: 'uuid', __value__: { hex: '00000000000000000000000000000001' } },
        { __type__: 'decimal', __value__: '1.5' },
        { __type__: 'other', __value__: 1 },
      ]),
    ).toEqual([
      new Date('2026-01-01T12:00:00Z'),
      '00000000-0000-0000-0000-000000000001',
      '1.5',
      { __type__: 'other', __value__: 1 },
    ]);
  });
});

describe('results', () => {
  it('builds the rpc:// reply Celery sends and reads it back', () => {
    const built = buildResultMessage({ taskId: 't1', state: 'SUCCESS', result: 5 });
    expect(built.properties).toMatchObject({
      correlationId: 't1',
      deliveryMode: 1,
      contentType: 'application/json',
    });
    const body = JSON.parse(built.body.toString()) as Record<string, unknown>;
    expect(body).toMatchObject({
      task_id: 't1',
      status: 'SUCCESS',
      result: 5,
      traceback: null,
      children: [],
    });
    expect(String(body.date_done)).toMatch(/\+00:00$/);
    expect(parseResultMessage(built.body, 't1')).toMatchObject({ task_id: 't1', status: 'SUCCESS' });
    expect(
      parseResultMessage(Buffer.from('{"status": "SUCCESS", "result": 1}'), 'from-correlation'),
    ).toMatchObject({ task_id: 'from-correlation' });
    expect(parseResultMessage(Buffer.from('nope'), 'x')).toBeUndefined();
  });
});

describe("dockerRun's keyword names", () => {
  it('sends docker-py names a Python Girder Worker understands', () => {
    expect(
      toWireKwargs({
        containerArgs: ['a'],
        removeContainer: false,
        workingDir: '/w',
        memory: '1g',
        shmSize: '64m',
        cpus: 1.5,
        gpus: 'all',
        network: 'none',
      }),
    ).toEqual({
      pull_image: 'ifNotPresent',
      container_args: ['a'],
      remove_container: false,
      working_dir: '/w',
      mem_limit: '1g',
      shm_size: '64m',
      nano_cpus: 1_500_000_000,
      device_requests: [{ driver: '', count: -1, device_ids: null, capabilities: [['gpu']], options: {} }],
      network: 'none',
    });
  });

  it('reads Python and longshore names, with Python defaults, and refuses unknown ones', () => {
    expect(
      fromWireKwargs({ container_args: ['x'], network_mode: 'host', nano_cpus: 2e9, entrypoint: null }),
    ).toEqual({
      containerArgs: ['x'],
      network: 'host',
      cpus: 2,
      pullImage: true,
    });
    expect(fromWireKwargs({ containerArgs: ['y'], pull_image: false, runtime: 'nvidia' })).toEqual({
      containerArgs: ['y'],
      pullImage: false,
      createOptions: { HostConfig: { Runtime: 'nvidia' } },
    });
    expect(() => fromWireKwargs({ detach: true })).toThrow(/kwargs\.detach/);
  });
});

describe('the revoked set', () => {
  it('keeps ids for a while and at most so many, as Celery does', () => {
    const set = new RevokedSet({ maxSize: 2, expiresSeconds: 10 });
    set.add('a', 0);
    set.add('b', 1000);
    set.add('c', 2000);
    expect(set.ids(2000)).toEqual(['b', 'c']);
    expect(set.has('b', 10_000)).toBe(true);
    expect(set.has('b', 12_000)).toBe(false);
  });
});

describe('configuration', () => {
  it('takes configure() over LONGSHORE_BROKER_URL, validates, and never echoes a password', () => {
    resetConfiguration();
    expect(getConfiguration({ LONGSHORE_BROKER_URL: 'amqp://h//' }).broker).toBe('amqp://h//');
    configure({ broker: 'amqp://a//' });
    expect(getConfiguration({ LONGSHORE_BROKER_URL: 'amqp://h//' }).broker).toBe('amqp://a//');
    expect(() => configure({ broker: 'redis://u:hunter22@h' })).toThrow(ValidationError);
    expect(() => configure({ broker: 'redis://u:hunter22@h' })).not.toThrow(/hunter22/);
    expect(() => configure({ resultBackend: 'redis://' as 'rpc://' })).toThrow(/rpc:\/\//);
    resetConfiguration();
  });
});

describe('longshore worker arguments', () => {
  it('reads the options, with the broker from the environment', () => {
    const parsed = parseWorkerArgs(
      [
        '-c',
        '4',
        '--queues',
        'a,b',
        '-n',
        'w1@h',
        '--prefetch-multiplier',
        '2',
        '--tasks',
        './t.js,pkg',
        '--grace-period',
        '5',
      ],
      { LONGSHORE_BROKER_URL: 'amqp://h//' },
      '/srv',
    );
    expect(parsed).toEqual({
      options: {
        broker: 'amqp://h//',
        concurrency: 4,
        queues: ['a', 'b'],
        hostname: 'w1@h',
        prefetchMultiplier: 2,
        shutdownGraceSeconds: 5,
      },
      taskModules: ['file:///srv/t.js', 'pkg'],
    });
    expect(parseWorkerArgs(['--help'], {})).toBeUndefined();
  });

  it('refuses bad usage with one clear line', () => {
    expect(() => parseWorkerArgs([], {})).toThrow(
      new UsageError(
        "no broker: give --broker URL, set LONGSHORE_BROKER_URL or 'longshore config set broker URL'",
      ),
    );
    expect(() => parseWorkerArgs(['-b', 'amqp://h//', '-c', '0'], {})).toThrow(/invalid --concurrency '0'/);
    expect(() => parseWorkerArgs(['-b', 'http://u:pw@h'], {})).toThrow("invalid --broker 'http://u:**@h'");
    expect(() => parseWorkerArgs(['-b', 'amqp://h//', '-Q', 'a,,b'], {})).toThrow(/invalid --queues/);
  });
});
