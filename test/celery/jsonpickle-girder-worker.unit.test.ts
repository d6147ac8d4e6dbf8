/** Girder Worker's Python classes ⇄ longshore transforms, on the captured messages (fixtures/*.json). */
import { createReadStream } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { createGirderConnection, isGirderConnection } from '../../src/girder/girder-connection.js';
import {
  DOCKER_TRANSFORM_CLASSES as C,
  GIRDER_CLIENT_CLASS,
  GIRDER_TRANSFORM_CLASSES,
  createGirderWorkerRegistry,
  decodeGirderWorkerText,
  decodeGirderWorkerValue,
  decodeResultHooks,
  encodeGirderWorkerValue,
  registerPythonClass,
} from '../../src/girder-worker/classes/index.js';
import { PyTuple, PyType } from '../../src/girder-worker/jsonpickle/index.js';
import { ProtocolError } from '../../src/core/protocol-error.js';
import { GirderFileIdToStream } from '../../src/transforms/girder/girder-file-id-to-stream.js';
import { GirderFileIdToVolume } from '../../src/transforms/girder/girder-file-id-to-volume.js';
import { GirderFolderIdToVolume } from '../../src/transforms/girder/girder-folder-id-to-volume.js';
import { GirderItemIdToVolume } from '../../src/transforms/girder/girder-item-id-to-volume.js';
import { GirderUploadVolumePathJobArtifact } from '../../src/transforms/girder/girder-upload-volume-path-job-artifact.js';
import { GirderUploadVolumePathToFolder } from '../../src/transforms/girder/girder-upload-volume-path-to-folder.js';
import { GirderUploadVolumePathToItem } from '../../src/transforms/girder/girder-upload-volume-path-to-item.js';
import {
  BindMountVolume,
  ChunkedTransferEncodingStream,
  Connect,
  ContainerStdErr,
  ContainerStdOut,
  HostFile,
  HostStdErr,
  HostStdOut,
  NamedInputPipe,
  NamedOutputPipe,
  ProgressPipe,
  TemporaryVolume,
  VolumePath,
} from '../../src/transforms/index.js';
import { readFixture } from './jsonpickle-python-helper.js';

interface Capture {
  headers: Record<string, unknown>;
  body: unknown;
}

const EMBED = { callbacks: null, errbacks: null, chain: null, chord: null };

function decodeBody(name: string): [unknown[], Record<string, unknown>, unknown] {
  const capture = readFixture(name) as Capture;
  return decodeGirderWorkerText(JSON.stringify(capture.body)) as [
    unknown[],
    Record<string, unknown>,
    unknown,
  ];
}

/** Re-encodes a decoded body: the args and the body are tuples again. */
function encodeBody([args, kwargs, embed]: [unknown[], Record<string, unknown>, unknown]): unknown {
  return encodeGirderWorkerValue(new PyTuple([new PyTuple(args), kwargs, embed]));
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('did not throw');
}

describe('decoding the captured docker_run messages', () => {
  it('docker_run_minimal.json and docker_run_volumes_dict.json: plain data', () => {
    const [args, kwargs, embed] = decodeBody('docker_run_minimal.json');
    expect(args).toEqual(['example/image:latest']);
    expect(kwargs).toEqual({ pull_image: true, container_args: ['echo', 'hello'] });
    expect(embed).toEqual(EMBED);
    const [, dictKwargs] = decodeBody('docker_run_volumes_dict.json');
    expect(dictKwargs).toEqual({
      pull_image: false,
      container_args: ['ls', '/mnt/docker'],
      remove_container: true,
      entrypoint: ['/bin/sh', '-c'],
      volumes: { '/home/docker/data': { bind: '/mnt/docker/', mode: 'rw' } },
      environment: { FOO: 'bar' },
    });
  });

  it('docker_run_local_transforms.json: every transform, with shared volumes as one object', () => {
    const [args, kwargs] = decodeBody('docker_run_local_transforms.json');
    expect(args).toEqual(['example/image:latest']);
    expect(kwargs.pull_image).toBe(false);
    const ca = kwargs.container_args as unknown[];
    const volumes = kwargs.volumes as unknown[];
    expect(ca.filter((_, i) => i % 2 === 0)).toEqual([
      '--in',
      '--scratch',
      '--out',
      '--tmp',
      '--pipe-in',
      '--pipe-out',
      '--chunked',
      '--progress',
    ]);

    const input = ca[1] as VolumePath;
    expect(input).toBeInstanceOf(VolumePath);
    expect(input.filename).toBe('input.csv');
    const bind = input.volume as BindMountVolume;
    expect(bind).toBeInstanceOf(BindMountVolume);
    expect([bind.hostPath, bind.containerPath, bind.mode]).toEqual(['/data/in', '/mnt/in', 'ro']);
    expect(volumes[0]).toBe(bind);

    const scratch = ca[3] as TemporaryVolume;
    expect(scratch).toBeInstanceOf(TemporaryVolume);
    expect([scratch.hostDir, scratch.mode]).toEqual(['/scratch', 0o777]);
    expect(volumes[1]).toBe(scratch);

    expect((ca[5] as VolumePath).filename).toBe('result.txt');
    expect((ca[5] as VolumePath).volume).toBe(TemporaryVolume.default);
    expect(ca[7]).toBe(TemporaryVolume.default);

    const pipeIn = ca[9] as Connect;
    expect(pipeIn).toBeInstanceOf(Connect);
    const producer = pipeIn.input as NamedOutputPipe;
    const consumer = pipeIn.output as NamedInputPipe;
    expect(producer).toBeInstanceOf(NamedOutputPipe);
    expect(consumer).toBeInstanceOf(NamedInputPipe);
    expect([producer.name, producer.containerDir, producer.hostDir]).toEqual([
      'producer_out',
      undefined,
      undefined,
    ]);
    expect(producer.volume).toBe(TemporaryVolume.default);
    expect(consumer.name).toBe('consumer_in');
    expect(consumer.volume).toBe(TemporaryVolume.default);

    const pipeOut = ca[11] as Connect;
    expect((pipeOut.input as NamedOutputPipe).name).toBe('stdout_pipe');
    expect(pipeOut.output).toBeInstanceOf(HostStdOut);

    const chunked = ca[13] as Connect;
    expect((chunked.input as NamedOutputPipe).name).toBe('upload_pipe');
    const sink = chunked.output as ChunkedTransferEncodingStream;
    expect(sink).toBeInstanceOf(ChunkedTransferEncodingStream);
    expect([sink.url, sink.headers]).toEqual(['http://127.0.0.1:9000/sink', { 'X-Key': 'v' }]);

    const progress = ca[15] as ProgressPipe;
    expect(progress).toBeInstanceOf(ProgressPipe);
    expect([progress.name, progress.volume]).toEqual(['.girder_progress', TemporaryVolume.default]);
  });

  it('jsonpickle_shared_references.json: the same VolumePath and TemporaryVolume objects', () => {
    const capture = readFixture('jsonpickle_shared_references.json');
    const [, kwargs] = decodeGirderWorkerValue(capture) as [unknown[], Record<string, unknown[]>];
    const [first, second, volume] = kwargs.container_args as [VolumePath, VolumePath, TemporaryVolume];
    expect(first).toBeInstanceOf(VolumePath);
    expect(second).toBe(first);
    expect(volume).toBeInstanceOf(TemporaryVolume);
    expect(first.volume).toBe(volume);
    expect(kwargs.volumes?.[0]).toBe(volume);
    expect(volume.hostDir).toBe('/scratch');
  });

  it("docker_run_girder.json: the Girder transforms decode to longshore's, sharing one gc", () => {
    const capture = readFixture('docker_run_girder.json') as Capture;
    const [, kwargs] = decodeGirderWorkerValue(capture.body) as [unknown[], Record<string, unknown[]>];
    const ca = kwargs.container_args as unknown[];
    const file = ca[1] as GirderFileIdToVolume;
    expect(file).toBeInstanceOf(GirderFileIdToVolume);
    expect([file.fileId, file.filename, file.volume]).toEqual([
      '5f0000000000000000000001',
      undefined,
      TemporaryVolume.default,
    ]);
    expect(isGirderConnection(file.gc)).toBe(true);
    expect(file.gc).toEqual({ apiUrl: 'http://127.0.0.1:8080/api/v1/', token: 'GIRDER_TOKEN_EXAMPLE' });
    const renamed = ca[3] as GirderFileIdToVolume;
    expect([renamed.fileId, renamed.filename, renamed.gc]).toEqual([
      '5f0000000000000000000002',
      'renamed.bin',
      file.gc,
    ]);
    const folder = ca[5] as GirderFolderIdToVolume;
    expect(folder).toBeInstanceOf(GirderFolderIdToVolume);
    expect([folder.folderId, folder.folderName, folder.gc]).toEqual([
      '5f0000000000000000000003',
      undefined,
      file.gc,
    ]);
    const item = ca[7] as GirderItemIdToVolume;
    expect(item).toBeInstanceOf(GirderItemIdToVolume);
    expect([item.itemId, item.gc]).toEqual(['5f0000000000000000000004', file.gc]);
    const stream = (ca[9] as Connect).input as GirderFileIdToStream;
    expect(stream).toBeInstanceOf(GirderFileIdToStream);
    expect(stream.gc).toBe(file.gc);
    expect((ca[9] as Connect).output).toBeInstanceOf(NamedInputPipe);

    const [toItem, toFolder, artifact] = decodeResultHooks(capture.headers.girder_result_hooks) as [
      GirderUploadVolumePathToItem,
      GirderUploadVolumePathToFolder,
      GirderUploadVolumePathJobArtifact,
    ];
    expect(toItem).toBeInstanceOf(GirderUploadVolumePathToItem);
    expect(toItem.volumePath.filename).toBe('result.txt');
    expect(toItem.gc).toEqual(file.gc);
    expect(toFolder).toBeInstanceOf(GirderUploadVolumePathToFolder);
    expect(artifact).toBeInstanceOf(GirderUploadVolumePathJobArtifact);
    expect([artifact.uploadOnException, artifact.runOnFailure]).toEqual([true, true]);
    expect(artifact.volumePath.volume).toBe(TemporaryVolume.default);
  });

  it('docker_run_girder.json: registered Girder classes get the shared gc and volumes', () => {
    const capture = readFixture('docker_run_girder.json') as Capture;
    const registry = createGirderWorkerRegistry();
    const stub = (kind: string) => (state: Readonly<Record<string, unknown>>) => ({ kind, ...state });
    for (const classPath of Object.values(GIRDER_TRANSFORM_CLASSES)) {
      registry.register(classPath, stub(classPath.slice(classPath.lastIndexOf('.') + 1)));
    }
    registry.register(GIRDER_TRANSFORM_CLASSES.GirderFileIdToStream, (_s, ctx) => ({
      kind: 'GirderFileIdToStream',
      gc: ctx.girderConnection('gc'),
      openSource: () => Promise.resolve(null),
      describe: () => 'a Girder file',
    }));
    const [, kwargs] = registry.decode(capture.body) as [unknown[], Record<string, unknown[]>];
    const ca = kwargs.container_args as Record<string, unknown>[];
    const gc = ca[1]?.gc;
    expect(isGirderConnection(gc)).toBe(true);
    expect(gc).toEqual({ apiUrl: 'http://127.0.0.1:8080/api/v1/', token: 'GIRDER_TOKEN_EXAMPLE' });
    expect(ca[3]?.gc).toBe(gc);
    expect(ca[5]?.gc).toBe(gc);
    expect(ca[7]?.gc).toBe(gc);
    expect(((ca[9] as unknown as Connect).input as unknown as { gc: unknown }).gc).toBe(gc);
    expect(ca[1]?._volume).toBe(TemporaryVolume.default);
    expect(ca[3]?._volume).toBe(TemporaryVolume.default);
    expect(ca[3]?._filename).toBe('renamed.bin');

    const hooks = decodeResultHooks(capture.headers.girder_result_hooks, registry) as Record<
      string,
      unknown
    >[];
    expect(hooks.map((hook) => hook.kind)).toEqual([
      'GirderUploadVolumePathToItem',
      'GirderUploadVolumePathToFolder',
      'GirderUploadVolumePathJobArtifact',
    ]);
    expect(hooks[0]?.gc).toEqual(gc);
    expect((hooks[0]?._volumepath as VolumePath).filename).toBe('result.txt');
    expect((hooks[2]?._volumepath as VolumePath).volume).toBe(TemporaryVolume.default);
    expect(hooks[2]?._upload_on_exception).toBe(true);
    // The stubs went into the registry given, not the default one.
    const [, real] = decodeGirderWorkerValue(capture.body) as [unknown[], Record<string, unknown[]>];
    expect(real.container_args?.[1]).toBeInstanceOf(GirderFileIdToVolume);
  });

  it('decodeResultHooks: an absent header is no hooks; anything but a list is refused', () => {
    expect(decodeResultHooks(undefined)).toEqual([]);
    expect(decodeResultHooks(null)).toEqual([]);
    expect(() => decodeResultHooks({})).toThrow(ProtocolError);
  });
});

describe('malformed transforms in a message', () => {
  const vp = (state: Record<string, unknown>) => ({ 'py/object': C.VolumePath, ...state });
  const defaultVolume = { 'py/object': C.DefaultTemporaryVolume };

  it.each([
    [
      'an absolute VolumePath',
      vp({ filename: '/etc/passwd', _volume: defaultVolume }),
      /^Invalid girder_worker\.docker\.transforms\.VolumePath in the task message: Invalid filename/,
    ],
    [
      'a VolumePath without a volume',
      vp({ filename: 'x', _volume: null }),
      "attribute '_volume' must be a volume (BindMountVolume, TemporaryVolume...), got null",
    ],
    ['a VolumePath without a filename', vp({ _volume: defaultVolume }), "it has no attribute 'filename'"],
    [
      'a bind mount mode longshore does not support',
      { 'py/object': C.BindMountVolume, _host_path: '/a', _container_path: '/b', mode: 'z' },
      /Invalid mode/,
    ],
    [
      'a pipe with only one explicit directory',
      { 'py/object': C.NamedInputPipe, name: 'p', _container_path: '/c', _host_path: null, _volume: null },
      "'_container_path' and '_host_path' must be given together",
    ],
    [
      'a Connect without a pipe side it can use',
      {
        'py/object': C.Connect,
        _input: { 'py/object': C.HostStdOut },
        _output: { 'py/object': C.HostStdErr },
      },
      /Connect in the task message: Invalid input/,
    ],
    [
      'headers that are not strings',
      { 'py/object': C.ChunkedTransferEncodingStream, url: 'http://x/', headers: { A: 1 } },
      'attribute \'headers["A"]\' must be a string, got 1',
    ],
    [
      'a gc that is not a GirderClient',
      { 'py/object': GIRDER_CLIENT_CLASS, urlBase: 5 },
      "attribute 'urlBase' must be a string",
    ],
  ])('%s → ProtocolError', (_what, value, message) => {
    const error = thrown(() => decodeGirderWorkerValue([value]));
    expect(error).toBeInstanceOf(ProtocolError);
    if (typeof message === 'string') expect(error.message).toContain(message);
    else expect(error.message).toMatch(message);
  });

  it('keeps the ValidationError of a longshore constructor as the cause', () => {
    const error = thrown(() =>
      decodeGirderWorkerValue(vp({ filename: '../x', _volume: { 'py/object': C.DefaultTemporaryVolume } })),
    );
    expect(error.cause).toBeInstanceOf(ValidationError);
  });
});

describe('encoding longshore transforms for Python', () => {
  it('writes what Girder Worker writes: jsonpickle_shared_references.json', () => {
    const volume = new TemporaryVolume('/scratch', 0o777);
    const path = new VolumePath('a.txt', volume);
    const body = new PyTuple([
      new PyTuple(['example/image:latest']),
      { container_args: [path, path, volume], volumes: [volume] },
      EMBED,
    ]);
    expect(encodeGirderWorkerValue(body)).toEqual(readFixture('jsonpickle_shared_references.json'));
  });

  it.each(['docker_run_minimal.json', 'docker_run_volumes_dict.json', 'docker_run_local_transforms.json'])(
    '%s: decoded, then encoded again, is the captured message',
    (name) => {
      expect(encodeBody(decodeBody(name))).toEqual((readFixture(name) as Capture).body);
    },
  );

  it('a GirderConnection is the captured girder_client.GirderClient, shared by py/id', () => {
    const capture = readFixture('docker_run_girder.json') as Capture;
    const hook = (capture.headers.girder_result_hooks as Record<string, unknown>[])[0];
    const gc = createGirderConnection('http://127.0.0.1:8080/api/v1', 'GIRDER_TOKEN_EXAMPLE');
    const encoded = encodeGirderWorkerValue([gc, { gc }]) as unknown[];
    expect(encoded[0]).toEqual(hook?.gc);
    expect(encoded[1]).toEqual({ gc: { 'py/id': 1 } });
    // An object literal is a dict, not a GirderClient.
    expect(encodeGirderWorkerValue({ apiUrl: 'u', token: null })).toEqual({ apiUrl: 'u', token: null });
  });

  it('named pipes: explicit directories, or a volume', () => {
    const explicit = new NamedOutputPipe('p', '/mnt/pipes', '/tmp/pipes');
    const onVolume = new NamedInputPipe('q', undefined, undefined, new BindMountVolume('/data', '/mnt/data'));
    expect(encodeGirderWorkerValue([explicit, onVolume])).toEqual([
      {
        'py/object': C.NamedOutputPipe,
        _container_path: '/mnt/pipes',
        _host_path: '/tmp/pipes',
        _volume: null,
        name: 'p',
      },
      {
        'py/object': C.NamedInputPipe,
        _container_path: null,
        _host_path: null,
        _volume: {
          'py/object': C.BindMountVolume,
          _host_path: '/data',
          _container_path: '/mnt/data',
          mode: 'rw',
        },
        name: 'q',
      },
    ]);
  });

  it('stdio: HostStdOut/HostStdErr (also process.stdout/stderr) and ContainerStdOut/ContainerStdErr', () => {
    const encoded = encodeGirderWorkerValue([
      new Connect(new NamedOutputPipe('a'), process.stdout),
      new Connect(new NamedOutputPipe('b'), process.stderr),
      new HostStdOut(),
      new HostStdErr(),
      new ContainerStdOut(),
      new ContainerStdErr(),
    ]) as Record<string, unknown>[];
    expect(encoded.slice(2)).toEqual([
      { 'py/object': C.HostStdOut },
      { 'py/object': C.HostStdErr },
      { 'py/object': C.ContainerStdOut },
      { 'py/object': C.ContainerStdErr },
    ]);
    expect(encoded[0]?._output).toEqual({ 'py/object': C.HostStdOut });
    expect(encoded[1]?._output).toEqual({ 'py/object': C.HostStdErr });
  });

  it.each([
    [
      'a PassThrough',
      () => new Connect(new NamedOutputPipe('o'), new PassThrough()),
      /^A Node stream \(a PassThrough\) at \$\._output cannot be sent to another process/,
    ],
    [
      'a Readable',
      () => new Connect(Readable.from(['x']), new NamedInputPipe('i')),
      /^A Node stream \(a Readable\) at \$\._input cannot be sent/,
    ],
    [
      'a file stream',
      () => [createReadStream('/dev/null')],
      /^A Node stream \(a ReadStream\) at \$\[0\] cannot be sent/,
    ],
    [
      'a HostFile',
      () => ({ f: new HostFile('/tmp/x') }),
      /^host file \/tmp\/x \(a HostFile\) at \$\.f cannot be sent to another process/,
    ],
    [
      'an unknown class',
      () => [new (class Gadget {})()],
      /^a Gadget at \$\[0\] cannot be sent to another process/,
    ],
  ])('%s cannot cross the wire', (_what, make, message) => {
    const value = make();
    const error = thrown(() => encodeGirderWorkerValue(value));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(message);
    for (const v of [value].flat()) if (v instanceof Readable) v.destroy();
  });

  it('registerPythonClass adds a class to the default registry', () => {
    class Marker {
      constructor(readonly id: string) {}
    }
    const classPath = 'tests.jsonpickle.Marker';
    expect(() => decodeGirderWorkerValue({ 'py/object': classPath, id: 'a' })).toThrow(
      `Unknown Python class ${classPath}`,
    );
    registerPythonClass(classPath, (_s, ctx) => new Marker(ctx.string('id')));
    const decoded = decodeGirderWorkerValue([
      { 'py/object': classPath, id: 'a' },
      { 'py/id': 1 },
    ]) as Marker[];
    expect(decoded[0]).toBeInstanceOf(Marker);
    expect(decoded[1]).toBe(decoded[0]);
    const registry = createGirderWorkerRegistry().registerEncoder(Marker, (m) => ({
      classPath,
      state: { id: m.id },
    }));
    expect(registry.encode([decoded[0], decoded[0]])).toEqual([
      { 'py/object': classPath, id: 'a' },
      { 'py/id': 1 },
    ]);
  });

  it('a py/type decodes to a PyType and encodes back', () => {
    const decoded = decodeGirderWorkerValue({ cls: { 'py/type': 'girder_client._NoopProgressReporter' } });
    expect(decoded).toEqual({ cls: new PyType('girder_client._NoopProgressReporter') });
    expect(encodeGirderWorkerValue(decoded)).toEqual({
      cls: { 'py/type': 'girder_client._NoopProgressReporter' },
    });
  });
});
