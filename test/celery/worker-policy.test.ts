// The worker policy (issue 12): every way a broker client got root on a worker host, sent as raw
// AMQP, from the longshore client and from real Python Celery, now ends FAILURE with a
// PolicyError naming the field and the rule, is acknowledged, and leaves nothing on the host: no
// container, temporary directory or FIFO (useLeakChecks), no file in /, no directory at a
// host_dir, no request at a local HTTP listener. A policy that allows a root lets the same mount
// through; run-time and output limits stop the container.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BindMountVolume,
  ChunkedTransferEncodingStream,
  Connect,
  DOCKER_RUN_TASK_NAME,
  NamedOutputPipe,
  PolicyError,
  RemoteTaskError,
  VolumePath,
  configure,
  dockerRun,
} from '../../src/index.js';
import { BUSYBOX, CONFORMANCE } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection, useScratchDir, worldWritable } from '../helpers/task.js';
import { BROKER, useBroker } from './helpers/broker.js';
import { celeryApp, usePython } from './helpers/python.js';
import { NO_EMBED, PY_DEFAULT_VOLUME, taskHeaders } from './helpers/task-headers.js';

const leaks = useLeakChecks({ fds: false });
const broker = useBroker();
const python = usePython();
const scratch = useScratchDir();

const GW = 'girder_worker.docker.transforms';
/** A file the container would write in the host's / if a mount of / got through. */
const MARKER = `longshore-policy-marker-${process.pid}`;

// A local listener for the SSRF case: no request may reach it.
let listener: Server;
let listenerUrl = '';
const requests: string[] = [];
beforeAll(async () => {
  listener = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/sink`;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));
afterEach(() => {
  expect(existsSync(`/${MARKER}`), 'a file written in the host root').toBe(false);
});

/** Publishes a Girder Worker docker_run as Python sends it; resolves with its result message. */
async function sendRaw(queue: string, kwargs: Record<string, unknown>, image = BUSYBOX) {
  const id = broker.id();
  await broker.admin.publish(queue, JSON.stringify([[image], { pull_image: false, ...kwargs }, NO_EMBED]), {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    correlationId: id,
    replyTo: broker.admin.replyQueue,
    deliveryMode: 2,
    headers: taskHeaders(id, DOCKER_RUN_TASK_NAME),
  });
  return broker.admin.result(id, undefined, 60_000);
}

function excOf(result: Record<string, unknown>): { exc_type: string; exc_message: string[] } {
  expect(result.status).toBe('FAILURE');
  return result.result as { exc_type: string; exc_message: string[] };
}

function writePolicy(name: string, policy: unknown): string {
  const file = join(scratch, `${name}.json`);
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

const bind = (hostPath: string, containerPath: string, mode = 'rw') => ({
  'py/object': `${GW}.BindMountVolume`,
  _host_path: hostPath,
  _container_path: containerPath,
  mode,
});

const writeMarker = ['sh', '-c', `echo pwned > /hroot/${MARKER}`];

interface Bypass {
  name: string;
  kwargs: () => Record<string, unknown>;
  field: string;
  rule: RegExp;
}

const BYPASSES: Bypass[] = [
  {
    name: 'a BindMountVolume of / (read-write)',
    kwargs: () => ({
      entrypoint: writeMarker.slice(0, 2),
      container_args: [writeMarker[2]],
      volumes: [bind('/', '/hroot')],
    }),
    field: 'kwargs.volumes[0].hostPath',
    rule: /the host root may not be mounted/,
  },
  {
    name: 'a docker-SDK volume dict of /',
    kwargs: () => ({ entrypoint: writeMarker, volumes: { '/': { bind: '/hroot', mode: 'rw' } } }),
    field: 'kwargs.volumes["/"]',
    rule: /the host root may not be mounted/,
  },
  {
    name: 'privileged: true',
    kwargs: () => ({ privileged: true }),
    field: 'kwargs.privileged',
    rule: /^privileged is not allowed$/,
  },
  {
    name: "cap_add: ['SYS_ADMIN']",
    kwargs: () => ({ cap_add: ['SYS_ADMIN'] }),
    field: 'kwargs.cap_add[0]',
    rule: /adding capability SYS_ADMIN/,
  },
  {
    name: "network_mode: 'host'",
    kwargs: () => ({ network_mode: 'host' }),
    field: 'kwargs.network_mode',
    rule: /network namespace/,
  },
  {
    name: "pid_mode: 'host'",
    kwargs: () => ({ pid_mode: 'host' }),
    field: 'kwargs.pid_mode',
    rule: /pid namespace/,
  },
  {
    name: 'raw HostConfig PidMode: host',
    kwargs: () => ({ create_options: { HostConfig: { PidMode: 'host' } } }),
    field: 'kwargs.create_options.HostConfig.PidMode',
    rule: /pid namespace/,
  },
  {
    name: "raw HostConfig Binds: ['/:/hroot']",
    kwargs: () => ({ entrypoint: writeMarker, create_options: { HostConfig: { Binds: ['/:/hroot'] } } }),
    field: 'kwargs.create_options.HostConfig.Binds[0]',
    rule: /the host root may not be mounted/,
  },
  {
    name: "raw HostConfig CapAdd: ['ALL']",
    kwargs: () => ({ create_options: { HostConfig: { CapAdd: ['ALL'] } } }),
    field: 'kwargs.create_options.HostConfig.CapAdd[0]',
    rule: /adding capability ALL/,
  },
  {
    name: 'a raw HostConfig key that is not known to be harmless',
    kwargs: () => ({ create_options: { HostConfig: { VolumesFrom: ['other'] } } }),
    field: 'kwargs.create_options.HostConfig.VolumesFrom',
    rule: /raw HostConfig key VolumesFrom/,
  },
  {
    name: 'a raw Image that would bypass the image rule',
    kwargs: () => ({ create_options: { Image: 'evil/image' } }),
    field: 'kwargs.create_options.Image',
    rule: /raw create option Image/,
  },
  {
    name: 'the Docker socket',
    kwargs: () => ({ volumes: [bind('/var/run/docker.sock', '/var/run/docker.sock')] }),
    field: 'kwargs.volumes[0].hostPath',
    rule: /Docker socket/,
  },
  {
    name: 'a NamedOutputPipe whose host path is outside the temporary root',
    kwargs: () => ({
      container_args: [
        {
          'py/object': `${GW}.Connect`,
          _input: {
            'py/object': `${GW}.NamedOutputPipe`,
            _container_path: '/mnt/pipes',
            _host_path: join(scratch, 'fifo-dir'),
            _volume: PY_DEFAULT_VOLUME,
            name: 'out',
          },
          _output: { 'py/object': `${GW}.HostStdOut` },
        },
      ],
    }),
    field: 'kwargs.container_args[0].input.hostPath',
    rule: /only below its temporary root/,
  },
  {
    name: 'a TemporaryVolume host_dir outside the temporary root',
    kwargs: () => ({
      container_args: [
        {
          'py/object': `${GW}.TemporaryVolume`,
          _host_path: null,
          _container_path: null,
          mode: 'rw',
          _transformed: false,
          host_dir: join(scratch, 'made', 'here'),
          _mode: 511,
          _instance: null,
        },
      ],
    }),
    field: 'kwargs.container_args[0].hostDir',
    rule: /only below its temporary root/,
  },
  {
    name: 'a ChunkedTransferEncodingStream to a URL outside the task’s Girder (SSRF)',
    kwargs: () => ({
      container_args: [
        {
          'py/object': `${GW}.Connect`,
          _input: {
            'py/object': `${GW}.NamedOutputPipe`,
            _container_path: null,
            _host_path: null,
            _volume: PY_DEFAULT_VOLUME,
            name: 'up',
          },
          _output: { 'py/object': `${GW}.ChunkedTransferEncodingStream`, url: listenerUrl, headers: {} },
        },
      ],
    }),
    field: 'kwargs.container_args[0].output.url',
    rule: /outbound URLs must be under/,
  },
];

describe('raw AMQP messages to a worker with no policy file (the secure default)', () => {
  it('refuses every bypass with a PolicyError naming field and rule, and creates nothing', async () => {
    const queue = broker.queue('raw');
    await broker.startWorker({ queues: [queue], concurrency: 2, hostname: broker.hostname('w') });
    const results = await Promise.all(BYPASSES.map((b) => sendRaw(queue, b.kwargs())));
    results.forEach((result, i) => {
      const { name, field, rule } = BYPASSES[i]!;
      const exc = excOf(result);
      expect(exc.exc_type, name).toBe('PolicyError');
      const message = exc.exc_message[0]!;
      expect(message, name).toMatch(/^Refused by the worker policy: /);
      const match = /^Refused by the worker policy: (.+?) = (.+) \(rule: (.+)\)$/.exec(message);
      expect(match?.[1], name).toBe(field);
      expect(match?.[3], name).toMatch(rule);
    });
    // Acknowledged: nothing waits in the queue; and nothing reached the host.
    expect(await broker.admin.depth(queue)).toBe(0);
    expect(existsSync(join(scratch, 'made'))).toBe(false);
    expect(existsSync(join(scratch, 'fifo-dir'))).toBe(false);
    expect(requests).toEqual([]);
    await leaks.assertNoLeaks();
  });

  it('names the whole rule in the message, as the issue asks', async () => {
    const queue = broker.queue('message');
    await broker.startWorker({ queues: [queue], concurrency: 1, hostname: broker.hostname('w') });
    const exc = excOf(await sendRaw(queue, { privileged: true }));
    expect(exc.exc_message[0]).toBe(
      'Refused by the worker policy: kwargs.privileged = true (rule: privileged is not allowed)',
    );
  });
});

describe('a policy file', () => {
  const siteDir = `/var/lib/longshore-policy-test-${process.pid}`;
  beforeAll(() => mkdirSync(siteDir, { recursive: true, mode: 0o777 }));
  afterAll(() => rmSync(siteDir, { recursive: true, force: true }));

  it('gates a bind mount: refused by default (a system directory), let through where it allows the root', async () => {
    const kwargs = {
      entrypoint: ['sh', '-c', 'echo allowed > /mnt/site/out.txt'],
      volumes: [bind(siteDir, '/mnt/site')],
    };
    const closed = broker.queue('closed');
    await broker.startWorker({ queues: [closed], concurrency: 1, hostname: broker.hostname('closed') });
    const exc = excOf(await sendRaw(closed, kwargs));
    expect(exc.exc_message[0]).toBe(
      `Refused by the worker policy: kwargs.volumes[0].hostPath = "${siteDir}" (rule: /var is a system directory)`,
    );
    expect(existsSync(join(siteDir, 'out.txt'))).toBe(false);

    const open = broker.queue('open');
    const policy = writePolicy('site-root', { hostRoots: [{ path: siteDir, mode: 'rw' }] });
    await broker.startWorker({ queues: [open], concurrency: 1, hostname: broker.hostname('open'), policy });
    const result = await sendRaw(open, kwargs);
    expect(result.status).toBe('SUCCESS');
    expect(readFileSync(join(siteDir, 'out.txt'), 'utf8')).toBe('allowed\n');
    // Its roots are the only ones now: the scratch directory, allowed by default, is not.
    const elsewhere = excOf(await sendRaw(open, { volumes: [bind(scratch, '/mnt/x', 'ro')] }));
    expect(elsewhere.exc_message[0]).toMatch(
      /rule: host paths are allowed only below .*longshore-policy-test/,
    );
  });

  it('refuses images, pull policies and memory above its limits', async () => {
    const queue = broker.queue('limits');
    const policy = writePolicy('limits', {
      images: ['longshore/*'],
      pullPolicies: ['never', 'ifNotPresent'],
      limits: { memory: '64m' },
    });
    await broker.startWorker({ queues: [queue], concurrency: 2, hostname: broker.hostname('w'), policy });
    const [image, pull, memory, ok] = await Promise.all([
      sendRaw(queue, {}, 'evil/image:1'),
      sendRaw(queue, { pull_image: true }),
      sendRaw(queue, { mem_limit: '1g' }),
      sendRaw(queue, { entrypoint: ['true'] }),
    ]);
    expect(excOf(image).exc_message[0]).toBe(
      'Refused by the worker policy: args[0] = "evil/image:1" (rule: images must match longshore/*)',
    );
    expect(excOf(pull).exc_message[0]).toMatch(
      /kwargs.pull_image = true \(rule: pull policy always is not allowed/,
    );
    expect(excOf(memory).exc_message[0]).toBe(
      `Refused by the worker policy: kwargs.mem_limit = "1g" (rule: memory is limited to ${64 * 1024 ** 2} bytes (limits.memory))`,
    );
    expect(ok.status).toBe('SUCCESS');
  });

  it('stops a container at the run-time limit and at the output limit, naming the limit', async () => {
    const queue = broker.queue('stops');
    const policy = writePolicy('stops', { limits: { runSeconds: 2, outputBytes: 10_000 } });
    await broker.startWorker({ queues: [queue], concurrency: 2, hostname: broker.hostname('w'), policy });
    const started = Date.now();
    const [slow, loud] = await Promise.all([
      sendRaw(queue, { entrypoint: ['sleep', '60'], stop_timeout: 1 }),
      sendRaw(queue, {
        entrypoint: ['sh', '-c', 'while true; do echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; done'],
        stop_timeout: 1,
      }),
    ]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(excOf(slow).exc_type).toBe('PolicyError');
    expect(excOf(slow).exc_message[0]).toBe(
      'Stopped by the worker policy: limits.runSeconds = 2 (rule: the container ran longer than 2 s)',
    );
    expect(excOf(loud).exc_message[0]).toBe(
      'Stopped by the worker policy: limits.outputBytes = 10000 (rule: the container printed more than 10000 bytes)',
    );
  });
});

describe('the longshore client → a worker', () => {
  it('sees a RemoteTaskError PolicyError for each bypass, and the SSRF listener gets nothing', async () => {
    const queue = broker.queue('client');
    await broker.startWorker({ queues: [queue], concurrency: 2, hostname: broker.hostname('w') });
    configure({ broker: BROKER });
    const send = (options: Parameters<typeof dockerRun.delay>[1]) =>
      rejection(
        dockerRun.applyAsync([BUSYBOX], { pullImage: false, ...options }, { queue }).get({ timeout: 60_000 }),
      );
    const root = new BindMountVolume('/', '/hroot');
    const errors = await Promise.all([
      send({ entrypoint: writeMarker, volumes: [root] }),
      send({ createOptions: { HostConfig: { Privileged: true } } }),
      send({ network: 'host' }),
      send({
        containerArgs: [
          new Connect(new NamedOutputPipe('up'), new ChunkedTransferEncodingStream(listenerUrl)),
        ],
      }),
    ]);
    const messages = errors.map((error) => {
      expect(error).toBeInstanceOf(RemoteTaskError);
      expect((error as RemoteTaskError).excType).toBe('PolicyError');
      return (error as Error).message;
    });
    expect(messages[0]).toContain(
      'kwargs.volumes[0].hostPath = "/" (rule: the host root may not be mounted)',
    );
    expect(messages[1]).toContain(
      'kwargs.create_options.HostConfig.Privileged = true (rule: privileged is not allowed)',
    );
    expect(messages[2]).toContain('kwargs.network = "host" (rule: sharing the network namespace');
    expect(messages[3]).toContain(
      `kwargs.container_args[0].output.url = "${listenerUrl}" (rule: outbound URLs`,
    );
    expect(requests).toEqual([]);
  });
});

describe('a Python Celery client → a worker', () => {
  it('gets PolicyError for privileged, a BindMountVolume of / and host networking', async () => {
    const queue = broker.queue('py');
    await broker.startWorker({ queues: [queue], concurrency: 2, hostname: broker.hostname('w') });
    const out = await python.run<Record<string, [string, string]>>(
      `${celeryApp()}
import jsonpickle
from kombu.serialization import register
register('girder_io', jsonpickle.encode, jsonpickle.decode, content_type='application/json', content_encoding='utf-8')
from girder_worker.docker.transforms import BindMountVolume
Q = ${JSON.stringify(queue)}
cases = {
    'privileged': {'privileged': True},
    'root': {'entrypoint': ${JSON.stringify(writeMarker)}, 'volumes': [BindMountVolume('/', '/hroot', 'rw')]},
    'host': {'network_mode': 'host'},
}
out = {}
for name, kwargs in cases.items():
    r = app.send_task(${JSON.stringify(DOCKER_RUN_TASK_NAME)}, args=[${JSON.stringify(BUSYBOX)}],
                      kwargs=dict(pull_image=False, **kwargs), queue=Q, serializer='girder_io')
    try:
        r.get(timeout=60)
        out[name] = ['no error', '']
    except Exception as e:
        out[name] = [type(e).__name__, str(e)]
print(json.dumps(out))
`,
      { stubs: true },
    );
    expect(out.privileged).toEqual([
      'PolicyError',
      'Refused by the worker policy: kwargs.privileged = true (rule: privileged is not allowed)',
    ]);
    expect(out.root).toEqual([
      'PolicyError',
      'Refused by the worker policy: kwargs.volumes[0].hostPath = "/" (rule: the host root may not be mounted)',
    ]);
    expect(out.host![0]).toBe('PolicyError');
    expect(out.host![1]).toMatch(
      /^Refused by the worker policy: kwargs.network_mode = "host" \(rule: sharing the network namespace/,
    );
  });
});

describe('in-process runs', () => {
  it('check only when a policy is configured', async () => {
    mkdirSync(join(scratch, 'in-process'));
    const dir = await worldWritable(join(scratch, 'in-process'));
    const data = new BindMountVolume(dir, '/mnt/data');
    configure({
      policy: writePolicy('in-process', { hostRoots: [{ path: join(scratch, 'elsewhere'), mode: 'ro' }] }),
    });
    const error = await rejection(
      dockerRun
        .delay(CONFORMANCE, {
          pullImage: false,
          containerArgs: ['write', '-p', new VolumePath('o', data), '-m', 'x'],
          volumes: [data],
        })
        .get(),
    );
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).field).toBe('options.volumes[0].hostPath');
    expect(existsSync(join(dir, 'o'))).toBe(false);
  });
});
