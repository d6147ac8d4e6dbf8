/**
 * longshore's jsonpickle against real Python jsonpickle (/usr/bin/python3, Debian's package) with
 * stand-in classes named and shaped like Girder Worker's (fixtures/python): Python → TS decoding
 * (classes, py/id numbering, shared objects) and TS → Python encoding (layout and `a is b`).
 */
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGirderConnection, isGirderConnection } from '../../src/girder/girder-connection.js';
import {
  GirderFileIdToStream,
  GirderFileIdToVolume,
  GirderFolderIdToVolume,
  GirderItemIdToVolume,
  GirderUploadVolumePathJobArtifact,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathToItem,
} from '../../src/index.js';
import {
  DOCKER_TRANSFORM_CLASSES,
  GIRDER_TRANSFORM_CLASSES,
  createGirderWorkerRegistry,
  decodeResultHooks,
  encodeResultHooks,
  girderWorkerClasses,
} from '../../src/girder-worker/classes/index.js';
import {
  decodeJsonPickle,
  encodeJsonPickle,
  PyTuple,
  PyType,
} from '../../src/girder-worker/jsonpickle/index.js';
import { ProtocolError } from '../../src/core/protocol-error.js';
import {
  BindMountVolume,
  ChunkedTransferEncodingStream,
  Connect,
  ContainerStdOut,
  HostStdErr,
  HostStdOut,
  NamedInputPipe,
  NamedOutputPipe,
  ProgressPipe,
  TemporaryVolume,
  VolumePath,
} from '../../src/transforms/index.js';
import type { StreamSource } from '../../src/transforms/index.js';
import {
  assertPythonJsonPickle,
  genericDecode,
  pythonIs,
  pythonRoundTrip,
  pythonScenario,
  readFixture,
  shapeOf,
} from './jsonpickle-python-helper.js';

const CAPTURES = [
  'docker_run_minimal.json',
  'docker_run_volumes_dict.json',
  'docker_run_local_transforms.json',
  'docker_run_girder.json',
  'jsonpickle_shared_references.json',
];

const EMBED = { callbacks: null, errbacks: null, chain: null, chord: null };

/** A TS re-encoding of a generic decode: must give Python's own text back, py/id numbers included. */
function reencodeGeneric(text: string): unknown {
  return encodeJsonPickle(genericDecode(text));
}

/** The girder transforms are not implemented yet: stand-ins that keep what the tests look at. */
function registryWithGirderStubs() {
  const registry = createGirderWorkerRegistry();
  registry.register(GIRDER_TRANSFORM_CLASSES.GirderFileIdToStream, (_s, ctx) => {
    const source: StreamSource & { fileId: string; gc: unknown } = {
      fileId: ctx.string('file_id'),
      gc: ctx.girderConnection('gc'),
      openSource: () => Promise.resolve(null),
      describe: () => 'a Girder file',
    };
    return source;
  });
  registry.register(GIRDER_TRANSFORM_CLASSES.GirderFileIdToVolume, (_s, ctx) => ({
    kind: 'GirderFileIdToVolume',
    fileId: ctx.string('_file_id'),
    gc: ctx.girderConnection('gc'),
    volume: ctx.volume('_volume'),
  }));
  registry.register(GIRDER_TRANSFORM_CLASSES.GirderUploadVolumePathToItem, (_s, ctx) => ({
    kind: 'GirderUploadVolumePathToItem',
    itemId: ctx.string('item_id'),
    gc: ctx.girderConnection('gc'),
    volumePath: ctx.volumePath('_volumepath'),
  }));
  return registry;
}

beforeAll(() => {
  assertPythonJsonPickle();
});

describe('captures from a real Girder Worker client', () => {
  for (const name of CAPTURES) {
    it(`${name}: Python jsonpickle and longshore restore the same objects and shared references`, () => {
      const capture = readFixture(name) as { body?: unknown };
      const body = capture.body ?? capture;
      const text = JSON.stringify(body);
      const python = pythonRoundTrip(text);
      // The stand-in classes have Girder Worker's attributes in Girder Worker's order.
      expect(JSON.parse(python.reencoded)).toEqual(body);
      expect(shapeOf(genericDecode(text))).toEqual(python.shape);
      expect(reencodeGeneric(text)).toEqual(body);
    });
  }
});

describe('messages made by Python jsonpickle', () => {
  for (const name of [
    'shared_temporary_volume',
    'local_transforms',
    'many_references',
    'list_cycle',
    'result_hook',
  ]) {
    it(`${name}: same objects, same sharing, and re-encoded to the same text`, () => {
      const scenario = pythonScenario(name);
      expect(scenario.shape).toEqual(scenario.originalShape);
      expect(shapeOf(genericDecode(scenario.json))).toEqual(scenario.shape);
      expect(reencodeGeneric(scenario.json)).toEqual(JSON.parse(scenario.json));
    });
  }

  it('py/id numbers follow the written key order, also for integer-like keys (decodeJsonPickleText)', () => {
    const scenario = pythonScenario('integer_keys');
    const decoded = genericDecode(scenario.json);
    expect(shapeOf(decoded)).toEqual(scenario.shape);
    // JSON.parse moves "0", "2", "10" before "b": the references would point the wrong way.
    expect(() => decodeJsonPickle(JSON.parse(scenario.json), () => ({}))).toThrow(ProtocolError);
    const restored = girderWorkerClasses.decodeText(scenario.json) as Record<string, unknown>;
    const [shared, list] = restored.b as [BindMountVolume, number[]];
    expect(shared).toBeInstanceOf(BindMountVolume);
    expect(restored['10']).toBe(shared);
    expect(restored['2']).toBe(list);
    expect(restored['0']).toEqual({ k: list, v: shared });
    expect((restored['0'] as { k: unknown }).k).toBe(list);
  });

  it('shared_temporary_volume: one TemporaryVolume and one VolumePath, as in the capture', () => {
    const scenario = pythonScenario('shared_temporary_volume');
    expect(JSON.parse(scenario.json)).toEqual(readFixture('jsonpickle_shared_references.json'));
    const [args, kwargs] = girderWorkerClasses.decodeText(scenario.json) as [
      string[],
      Record<string, unknown[]>,
    ];
    expect(args).toEqual(['example/image:latest']);
    const [vp, vpAgain, vol] = kwargs.container_args as [VolumePath, VolumePath, TemporaryVolume];
    expect(vp).toBeInstanceOf(VolumePath);
    expect(vpAgain).toBe(vp);
    expect(vol).toBeInstanceOf(TemporaryVolume);
    expect(vp.volume).toBe(vol);
    expect(kwargs.volumes?.[0]).toBe(vol);
    expect(vol.hostDir).toBe('/scratch');
  });

  it('local_transforms: the stand-ins share default volumes as Girder Worker does (= the capture)', () => {
    const capture = readFixture('docker_run_local_transforms.json') as { body: unknown };
    expect(JSON.parse(pythonScenario('local_transforms').json)).toEqual(capture.body);
  });

  it('local_transforms: longshore objects that encode back to exactly what Python sent', () => {
    const scenario = pythonScenario('local_transforms');
    const [args, kwargs, embed] = girderWorkerClasses.decodeText(scenario.json) as [
      unknown[],
      object,
      object,
    ];
    const again = girderWorkerClasses.encode(new PyTuple([new PyTuple(args), kwargs, embed]));
    expect(again).toEqual(JSON.parse(scenario.json));
  });

  it('many_references: every shared Python object is one longshore object', () => {
    const scenario = pythonScenario('many_references');
    // The real class checks its id: this scenario's 'fid' is none.
    expect(() => girderWorkerClasses.decodeText(scenario.json)).toThrow(
      'Invalid girder_worker.docker.transforms.girder.GirderFileIdToStream in the task message: Invalid fileId: "fid"',
    );
    const [args, kwargs] = registryWithGirderStubs().decodeText(scenario.json) as [
      unknown[],
      Record<string, unknown>,
    ];
    const ca = kwargs.container_args as unknown[];
    const [bind, scratch] = args[1] as [BindMountVolume, TemporaryVolume];
    expect(args[0]).toBe('img');
    expect(args[2]).toEqual([]);
    expect(bind).toBeInstanceOf(BindMountVolume);
    expect(scratch).toBeInstanceOf(TemporaryVolume);
    expect(scratch.mode).toBe(0o755);
    expect(kwargs.volumes).toEqual([bind, scratch]);
    expect((kwargs.volumes as unknown[])[0]).toBe(bind);
    expect((kwargs.volumes as unknown[])[1]).toBe(scratch);
    expect((ca[1] as VolumePath).volume).toBe(bind);
    expect((ca[3] as VolumePath).volume).toBe(TemporaryVolume.default);
    expect(ca[5]).toBe(TemporaryVolume.default);
    const toStderr = ca[6] as Connect;
    expect(toStderr.input).toBeInstanceOf(NamedOutputPipe);
    expect((toStderr.input as NamedOutputPipe).volume).toBe(scratch);
    expect(toStderr.output).toBeInstanceOf(HostStdErr);
    const fromGirder = ca[7] as Connect;
    const explicit = fromGirder.output as NamedInputPipe;
    expect(explicit).toBeInstanceOf(NamedInputPipe);
    expect([explicit.containerDir, explicit.hostDir, explicit.name]).toEqual([
      '/mnt/pipes',
      '/tmp/pipes',
      'in',
    ]);
    expect(ca[11]).toBe(explicit);
    const upload = ca[8] as Connect;
    expect((upload.input as NamedOutputPipe).volume).toBe(TemporaryVolume.default);
    expect((upload.output as ChunkedTransferEncodingStream).headers).toEqual({ 'X-Key': 'v' });
    expect((ca[9] as ProgressPipe).volume).toBe(scratch);
    expect((ca[10] as VolumePath).volume).toBe(scratch);
    expect(ca[12]).toEqual(['x', 'y']);
    expect(kwargs.env_again).toBe(kwargs.environment);
    const lists = kwargs.lists as unknown[];
    expect(lists[0]).toBe(ca[12]);
    expect(lists[1]).toBe(ca[12]);
    expect((lists[2] as unknown[])[0]).toBe(ca[12]);
    expect((lists[2] as unknown[])[1]).toBe(scratch);
    const gc = (fromGirder.input as unknown as { gc: unknown }).gc;
    expect(isGirderConnection(gc)).toBe(true);
    expect(gc).toEqual({ apiUrl: 'http://girder:8080/api/v1/', token: 'TOKEN123456' });
    expect((kwargs.gc_user as { gc: unknown; volume: unknown }).gc).toBe(gc);
    expect((kwargs.gc_user as { gc: unknown; volume: unknown }).volume).toBe(scratch);
    expect(kwargs.after_type).toBe(gc);
    expect(kwargs.type).toEqual(new PyType('girder_client.GirderClient'));
    expect(Buffer.from(kwargs.bytes as Buffer).toString('latin1')).toBe('\x00\x01binary');
  });

  it('result hooks: each restored on its own (girder_result_hooks header)', () => {
    const scenario = pythonScenario('result_hook');
    const hooks = decodeResultHooks(
      [JSON.parse(scenario.json), JSON.parse(scenario.json)],
      registryWithGirderStubs(),
    );
    const [first, second] = hooks as { itemId: string; gc: unknown; volumePath: VolumePath }[];
    expect(first?.itemId).toBe('itemid');
    expect(first?.volumePath.filename).toBe('x');
    expect(first?.volumePath.volume).toBe(TemporaryVolume.default);
    expect(second?.gc).toEqual(first?.gc);
    expect(second?.gc).not.toBe(first?.gc);
  });
});

describe('messages made by longshore, read by Python jsonpickle', () => {
  function longshoreBody() {
    const bind = new BindMountVolume('/data/in', '/mnt/in', 'ro');
    const scratch = new TemporaryVolume('/scratch');
    const explicit = new NamedInputPipe('in', '/mnt/pipes', '/tmp/pipes');
    const gc = createGirderConnection('http://girder:8080/api/v1', 'TOKEN123456');
    const vp = new VolumePath('a.txt', scratch);
    const env = { A: '1', nested: [1, { x: [] }] };
    const shared = ['x', 'y'];
    const containerArgs = [
      '--in',
      new VolumePath('input.csv', bind), // 1
      '--a',
      vp, // 3
      '--a-again',
      vp, // 5
      '--scratch',
      scratch, // 7
      '--out',
      new VolumePath('o'), // 9
      '--tmp',
      TemporaryVolume.default, // 11
      new Connect(new NamedOutputPipe('out', undefined, undefined, scratch), process.stdout), // 12
      new Connect(new NamedOutputPipe('err'), new HostStdErr()), // 13
      new Connect(new ContainerStdOut(), explicit), // 14
      explicit, // 15
      new Connect(
        new NamedOutputPipe('up'),
        new ChunkedTransferEncodingStream('http://x/sink', { 'X-Key': 'v' }),
      ), // 16
      new ProgressPipe(undefined, scratch), // 17
      shared, // 18
    ];
    return new PyTuple([
      new PyTuple(['img', new PyTuple([bind, scratch])]),
      {
        container_args: containerArgs,
        volumes: [bind, scratch],
        environment: env,
        env_again: env,
        lists: [shared, new PyTuple([shared, scratch])],
        gc_holder: { gc },
        gc_again: gc,
        type: new PyType('girder_client.GirderClient'),
        bytes: Buffer.from('\x00\x01binary', 'latin1'),
      },
      EMBED,
    ]);
  }

  it('Python restores the same objects and sharing, and re-encodes them to the same text', () => {
    const text = JSON.stringify(girderWorkerClasses.encode(longshoreBody()));
    const python = pythonRoundTrip(text);
    expect(JSON.parse(python.reencoded)).toEqual(JSON.parse(text));
    expect(python.shape).toEqual(shapeOf(genericDecode(text)));
  });

  it('shared longshore objects are one Python object (`a is b`), default volumes shared as Python shares them', () => {
    const text = JSON.stringify(girderWorkerClasses.encode(longshoreBody()));
    const ca = "v[1]['container_args']";
    const pairs: [string, string][] = [
      [`${ca}[3]`, `${ca}[5]`],
      [`${ca}[3]._volume`, `${ca}[7]`],
      [`${ca}[7]`, "v[1]['volumes'][1]"],
      [`${ca}[1]._volume`, "v[1]['volumes'][0]"],
      ['v[0][1][0]', "v[1]['volumes'][0]"],
      [`${ca}[12]._input._volume`, `${ca}[7]`],
      [`${ca}[14]._output`, `${ca}[15]`],
      [`${ca}[17]._volume`, `${ca}[7]`],
      ["v[1]['environment']", "v[1]['env_again']"],
      ["v[1]['lists'][0]", `${ca}[18]`],
      ["v[1]['lists'][1][0]", `${ca}[18]`],
      ["v[1]['gc_holder']['gc']", "v[1]['gc_again']"],
      // NamedOutputPipes left on their default volume share the default argument's object, as in Python.
      [`${ca}[13]._input._volume`, `${ca}[16]._input._volume`],
      // Not shared: TemporaryVolume.default written out is a new _DefaultTemporaryVolume.
      [`${ca}[9]._volume`, `${ca}[11]`],
      [`${ca}[13]._input._volume`, `${ca}[11]`],
      [`${ca}[13]._input._volume`, `${ca}[9]._volume`],
    ];
    expect(pythonIs(text, pairs)).toEqual([...Array<boolean>(13).fill(true), false, false, false]);
    const shape = pythonRoundTrip(text).shape as { tuple: [unknown, Record<string, unknown>] };
    const kwargs = shape.tuple[1] as Record<string, { class?: string; attrs?: Record<string, unknown> }[]>;
    const args = kwargs.container_args as { class?: string; attrs?: Record<string, unknown> }[];
    expect(args[11]?.class).toBe(DOCKER_TRANSFORM_CLASSES.DefaultTemporaryVolume);
    expect((args[12]?.attrs?._output as { class: string }).class).toBe(DOCKER_TRANSFORM_CLASSES.HostStdOut);
    const explicitPipe = args[14]?.attrs?._output as { attrs: Record<string, unknown> };
    expect(explicitPipe.attrs).toMatchObject({
      _container_path: '/mnt/pipes',
      _host_path: '/tmp/pipes',
      _volume: null,
    });
    expect(args[15]).toEqual({ ref: '$[1]["container_args"][14]._output' });
    expect((kwargs.gc_again as unknown as { class: string }).class).toBe('girder_client.GirderClient');
  });

  it('the same text as Python sends for the objects of docker_run_local_transforms', () => {
    const bind = new BindMountVolume('/data/in', '/mnt/in', 'ro');
    const scratch = new TemporaryVolume('/scratch', 0o777);
    const body = new PyTuple([
      new PyTuple(['example/image:latest']),
      {
        pull_image: false,
        container_args: [
          '--in',
          new VolumePath('input.csv', bind),
          '--scratch',
          scratch,
          '--out',
          new VolumePath('result.txt'),
          '--tmp',
          TemporaryVolume.default,
          '--pipe-in',
          new Connect(new NamedOutputPipe('producer_out'), new NamedInputPipe('consumer_in')),
          '--pipe-out',
          new Connect(new NamedOutputPipe('stdout_pipe'), new HostStdOut()),
          '--chunked',
          new Connect(
            new NamedOutputPipe('upload_pipe'),
            new ChunkedTransferEncodingStream('http://127.0.0.1:9000/sink', { 'X-Key': 'v' }),
          ),
          '--progress',
          new ProgressPipe(),
        ],
        volumes: [bind, scratch],
      },
      EMBED,
    ]);
    expect(girderWorkerClasses.encode(body)).toEqual(JSON.parse(pythonScenario('local_transforms').json));
  });

  it('the same text as Python sends for Girder transforms and result hooks, sharing one gc', () => {
    const gc = createGirderConnection('http://girder:8080/api/v1/', 'TOKEN123456');
    const value = {
      container_args: [
        new GirderFileIdToVolume('5f0000000000000000000001', { gc }),
        new GirderFileIdToVolume('5f0000000000000000000002', { filename: 'renamed.bin', gc }),
        new GirderFolderIdToVolume('5f0000000000000000000003', { gc }),
        new GirderItemIdToVolume('5f0000000000000000000004', { gc }),
        new Connect(new GirderFileIdToStream('5f0000000000000000000005', { gc }), new NamedInputPipe('in')),
      ],
      hooks: [
        new GirderUploadVolumePathToItem(new VolumePath('out.tif'), '5f0000000000000000000006', { gc }),
        new GirderUploadVolumePathToFolder(new VolumePath('dir'), '5f0000000000000000000007', {
          deleteFile: true,
          gc,
        }),
        new GirderUploadVolumePathJobArtifact(new VolumePath('debug'), { uploadOnException: true, gc }),
      ],
    };
    expect(girderWorkerClasses.encode(value)).toEqual(JSON.parse(pythonScenario('girder_transforms').json));
  });

  it('result hooks are flattened one by one, as Girder Worker does', () => {
    const hooks = encodeResultHooks([new VolumePath('x'), new VolumePath('y')]);
    for (const hook of hooks) {
      expect(JSON.parse(pythonRoundTrip(JSON.stringify(hook)).reencoded)).toEqual(hook);
    }
    expect(hooks[1]).toEqual({ ...(hooks[0] as object), filename: 'y' });
  });

  it('Node streams cannot cross the wire', () => {
    const body = new Connect(new NamedOutputPipe('out'), new PassThrough());
    expect(() => girderWorkerClasses.encode(body)).toThrow(ProtocolError);
  });
});
