// Bad input fails with a ValidationError naming the field and the value, before any container is
// created: synchronously from delay() when the options alone show it, else from get().
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BindMountVolume,
  ChunkedTransferEncodingStream,
  Connect,
  HostFile,
  NamedInputPipe,
  NamedOutputPipe,
  TemporaryVolume,
  ValidationError,
  VolumePath,
  dockerRun,
  type DockerRunCallOptions,
} from '../../src/index.js';
import { CONFORMANCE, containersCreatedSince } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { Collector, rejection, thrown, useScratchDir, withEnv } from '../helpers/task.js';

useLeakChecks();
const scratch = useScratchDir();

let since = 0;
beforeEach(() => {
  since = Date.now();
});
afterEach(async () => {
  expect(await containersCreatedSince(since), 'a container was created').toEqual([]);
});

/** Asserts `error` is a ValidationError about `field` (exactly, or matching) holding `value`. */
function expectValidation(error: unknown, field: string | RegExp, value?: unknown): ValidationError {
  expect(error).toBeInstanceOf(ValidationError);
  const v = error as ValidationError;
  expect(v.code).toBe('ERR_INVALID_INPUT');
  if (typeof field === 'string') expect(v.field).toBe(field);
  else expect(v.field).toMatch(field);
  if (arguments.length > 2) expect(v.value).toEqual(value);
  expect(v.message).toContain(v.field);
  return v;
}

/** delay() with options the type system would refuse. */
function delayUnchecked(image: unknown, options: unknown) {
  return dockerRun.delay(image as string, options as DockerRunCallOptions);
}

describe('options, refused synchronously by delay()', () => {
  it('an unknown option', () => {
    const error = thrown(() =>
      delayUnchecked(CONFORMANCE, { containerArgs: ['stdio'], removeContainers: true }),
    );
    const v = expectValidation(error, 'options.removeContainers', true);
    expect(v.message).toContain('unknown option');
  });

  it.each([
    ['removeContainer', 'yes'],
    ['pullImage', 'sometimes'],
    ['memory', 'lots'],
    ['shmSize', -5],
    ['cpus', -1],
    ['stopTimeout', -1],
    ['workingDir', 'relative/dir'],
    ['user', ''],
    ['name', 'no spaces allowed'],
    ['containerArgs', 'not a list'],
    ['entrypoint', 42],
    ['gpus', 0],
    ['createOptions', 'HostConfig'],
  ])('%s: %j', (field, value) => {
    const error = thrown(() => delayUnchecked(CONFORMANCE, { [field]: value }));
    expectValidation(error, `options.${field}`, value);
    expect((error as ValidationError).message).toContain(JSON.stringify(value));
  });

  it('a label value that is not a string names the label', () => {
    const error = thrown(() => delayUnchecked(CONFORMANCE, { labels: { ok: 'yes', key: 1 } }));
    expectValidation(error, 'options.labels.key', 1);
  });

  it('an environment list entry without "="', () => {
    const error = thrown(() => delayUnchecked(CONFORMANCE, { environment: ['OK=1', 'NOEQUALS'] }));
    expectValidation(error, /^options\.environment/);
  });

  it('volumes that are neither a dict nor volume transforms', () => {
    expectValidation(
      thrown(() => delayUnchecked(CONFORMANCE, { volumes: ['/tmp:/data'] })),
      /^options\.volumes/,
    );
    expectValidation(
      thrown(() => delayUnchecked(CONFORMANCE, { volumes: { 'relative/host': { bind: '/data' } } })),
      /^options\.volumes/,
    );
    expectValidation(
      thrown(() => delayUnchecked(CONFORMANCE, { volumes: { '/tmp': { bind: '/data', mode: 'rwx' } } })),
      /^options\.volumes/,
    );
  });

  it('a result hook without run()', () => {
    expectValidation(
      thrown(() => delayUnchecked(CONFORMANCE, { girderResultHooks: [{ prepare: () => undefined }] })),
      /^options\.girderResultHooks/,
    );
  });

  it('a streamConnector that is not a Connect', () => {
    expectValidation(
      thrown(() => delayUnchecked(CONFORMANCE, { streamConnectors: [new HostFile('/tmp/x')] })),
      /^options\.streamConnectors/,
    );
  });
});

describe('images', () => {
  it.each(['', 'has space', 'upper/Case', 'a//b', '-leading-dash', 'name:', 'name@sha256:short'])(
    'a bad image reference %j is refused synchronously',
    (image) => {
      expectValidation(
        thrown(() => dockerRun.delay(image, { containerArgs: ['stdio'] })),
        'image',
        image,
      );
    },
  );

  it('an image that is not a string', () => {
    expectValidation(
      thrown(() => delayUnchecked(42, {})),
      'image',
      42,
    );
  });
});

describe('transforms, refused when constructed', () => {
  it('an absolute VolumePath', () => {
    expectValidation(
      thrown(() => new VolumePath('/etc/passwd')),
      'filename',
      '/etc/passwd',
    );
  });

  it('a VolumePath that escapes its volume', () => {
    expectValidation(
      thrown(() => new VolumePath('../outside')),
      'filename',
      '../outside',
    );
    expectValidation(
      thrown(() => new VolumePath('a/../../outside')),
      'filename',
      'a/../../outside',
    );
  });

  it('a BindMountVolume with relative paths or a bad mode', () => {
    expectValidation(
      thrown(() => new BindMountVolume('relative', '/data')),
      'hostPath',
      'relative',
    );
    expectValidation(
      thrown(() => new BindMountVolume('/tmp', 'data')),
      'containerPath',
      'data',
    );
    expectValidation(
      thrown(() => new BindMountVolume('/tmp', '/')),
      'containerPath',
      '/',
    );
    expectValidation(
      thrown(() => new BindMountVolume('/tmp', '/data', 'rx' as 'ro')),
      'mode',
      'rx',
    );
  });

  it('a TemporaryVolume with a relative hostDir', () => {
    expectValidation(
      thrown(() => new TemporaryVolume('tmp')),
      'hostDir',
      'tmp',
    );
  });

  it('a named pipe with a path for a name', () => {
    expectValidation(
      thrown(() => new NamedInputPipe('a/b')),
      'name',
      'a/b',
    );
    expectValidation(
      thrown(() => new NamedOutputPipe('..')),
      'name',
      '..',
    );
  });

  it('Connect with a NamedInputPipe as its input', () => {
    const pipe = new NamedInputPipe('in');
    expectValidation(
      thrown(() => new Connect(pipe as never, new Collector())),
      'input',
      pipe,
    );
  });

  it('Connect with a NamedOutputPipe as its output', () => {
    const pipe = new NamedOutputPipe('out');
    expectValidation(
      thrown(() => new Connect(Readable.from(['x']), pipe as never)),
      'output',
      pipe,
    );
  });

  it('Connect with endpoints that are not streams', () => {
    expectValidation(
      thrown(() => new Connect('a string' as never, new Collector())),
      'input',
      'a string',
    );
    expectValidation(
      thrown(() => new Connect(Readable.from(['x']), 42 as never)),
      'output',
      42,
    );
  });

  it('a ChunkedTransferEncodingStream with a non-http URL', () => {
    expectValidation(
      thrown(() => new ChunkedTransferEncodingStream('ftp://example.com/x')),
      'url',
    );
  });
});

describe('refused by get(), before any container', () => {
  it('a BindMountVolume whose host path does not exist', async () => {
    const missing = join(scratch, 'does-not-exist');
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['stdio'],
      volumes: [new BindMountVolume(missing, '/data')],
    });
    expectValidation(await rejection(handle.get()), 'hostPath', missing);
    expect(handle.status).toBe('FAILURE');
  });

  it('a dict volume whose host path does not exist', async () => {
    const missing = join(scratch, 'also-missing');
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['stdio'],
      volumes: { [missing]: { bind: '/data', mode: 'ro' } },
    });
    expectValidation(await rejection(handle.get()), 'volumes', missing);
  });

  it('two different host paths on one container path', async () => {
    const a = join(scratch, 'a');
    const b = join(scratch, 'b');
    await mkdir(a, { recursive: true });
    await mkdir(b, { recursive: true });
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['stdio'],
      volumes: [new BindMountVolume(a, '/data'), new BindMountVolume(b, '/data')],
    });
    expectValidation(await rejection(handle.get()), 'volumes', '/data');
  });

  it('a Node stream used by a second task', async () => {
    const source = Readable.from(['only once']);
    const first = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['read', '-p', new Connect(source, new NamedInputPipe('in'))],
    });
    await first.get();
    const since2 = Date.now();
    const second = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['read', '-p', new Connect(source, new NamedInputPipe('in'))],
    });
    expectValidation(await rejection(second.get()), 'input');
    expect(await containersCreatedSince(since2)).toEqual([]);
    since = Date.now();
  });

  it('LONGSHORE_DOCKER_RUN_OPTIONS that is not JSON', async () => {
    const error = await withEnv({ LONGSHORE_DOCKER_RUN_OPTIONS: '{not json' }, () =>
      rejection(dockerRun.delay(CONFORMANCE, { containerArgs: ['stdio'] }).get()),
    );
    expectValidation(error, 'LONGSHORE_DOCKER_RUN_OPTIONS', '{not json');
  });

  it('LONGSHORE_DOCKER_RUN_OPTIONS with a bad value', async () => {
    const error = await withEnv({ LONGSHORE_DOCKER_RUN_OPTIONS: JSON.stringify({ memory: 'lots' }) }, () =>
      rejection(dockerRun.delay(CONFORMANCE, { containerArgs: ['stdio'] }).get()),
    );
    expectValidation(error, 'LONGSHORE_DOCKER_RUN_OPTIONS.memory', 'lots');
  });

  it('GIRDER_WORKER_DOCKER_RUN_OPTIONS that is a JSON array', async () => {
    const error = await withEnv({ GIRDER_WORKER_DOCKER_RUN_OPTIONS: '[1, 2]' }, () =>
      rejection(dockerRun.delay(CONFORMANCE, { containerArgs: ['stdio'] }).get()),
    );
    expectValidation(error, 'GIRDER_WORKER_DOCKER_RUN_OPTIONS', [1, 2]);
  });

  it('GIRDER_WORKER_DOCKER_RUN_OPTIONS with an option longshore does not know', async () => {
    const error = await withEnv({ GIRDER_WORKER_DOCKER_RUN_OPTIONS: JSON.stringify({ tty: true }) }, () =>
      rejection(dockerRun.delay(CONFORMANCE, { containerArgs: ['stdio'] }).get()),
    );
    expectValidation(error, 'GIRDER_WORKER_DOCKER_RUN_OPTIONS.tty', true);
  });

  it('GIRDER_WORKER_DOCKER_RUN_OPTIONS with a relative volume', async () => {
    const error = await withEnv(
      { GIRDER_WORKER_DOCKER_RUN_OPTIONS: JSON.stringify({ volumes: ['relative:/data'] }) },
      () => rejection(dockerRun.delay(CONFORMANCE, { containerArgs: ['stdio'] }).get()),
    );
    expectValidation(error, 'GIRDER_WORKER_DOCKER_RUN_OPTIONS.volumes[0]', 'relative');
  });
});
