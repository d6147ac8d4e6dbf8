import { Readable, Writable } from 'node:stream';
import { BindMountVolume } from '../../transforms/bind-mount-volume.js';
import { ChunkedTransferEncodingStream } from '../../transforms/chunked-transfer-encoding-stream.js';
import { Connect, type ConnectInput, type ConnectOutput } from '../../transforms/connect.js';
import { ContainerStdErr, ContainerStdOut } from '../../transforms/container-stdio.js';
import { HostFile } from '../../transforms/host-file.js';
import { HostStdErr, HostStdOut } from '../../transforms/host-stdio.js';
import { NamedInputPipe } from '../../transforms/named-input-pipe.js';
import { NamedOutputPipe } from '../../transforms/named-output-pipe.js';
import { ProgressPipe } from '../../transforms/progress-pipe.js';
import { TemporaryVolume } from '../../transforms/temporary-volume.js';
import type { MountMode } from '../../execution/endpoints.js';
import { VolumePath } from '../../transforms/volume-path.js';
import type { Volume } from '../../transforms/volume.js';
import type { PythonObjectDescription } from '../jsonpickle/encode.js';
import { PyObject } from '../jsonpickle/values.js';
import { ProtocolError } from '../../core/protocol-error.js';
import type { PythonState } from './python-state.js';
import type { PythonClassRegistry } from './registry.js';

const MODULE = 'girder_worker.docker.transforms';

/** Girder Worker's class paths of the transforms longshore implements. */
export const DOCKER_TRANSFORM_CLASSES = {
  BindMountVolume: `${MODULE}.BindMountVolume`,
  TemporaryVolume: `${MODULE}.TemporaryVolume`,
  DefaultTemporaryVolume: `${MODULE}._DefaultTemporaryVolume`,
  VolumePath: `${MODULE}.VolumePath`,
  NamedInputPipe: `${MODULE}.NamedInputPipe`,
  NamedOutputPipe: `${MODULE}.NamedOutputPipe`,
  Connect: `${MODULE}.Connect`,
  HostStdOut: `${MODULE}.HostStdOut`,
  HostStdErr: `${MODULE}.HostStdErr`,
  ContainerStdOut: `${MODULE}.ContainerStdOut`,
  ContainerStdErr: `${MODULE}.ContainerStdErr`,
  ChunkedTransferEncodingStream: `${MODULE}.ChunkedTransferEncodingStream`,
  ProgressPipe: `${MODULE}.girder.ProgressPipe`,
} as const;

const C = DOCKER_TRANSFORM_CLASSES;

/** Python's `TemporaryVolume(host_dir=None, mode=0o777)` default. */
const PYTHON_TEMPORARY_VOLUME_MODE = 0o777;

/** The attributes of a not yet used Python TemporaryVolume, in Python's order. */
function temporaryVolumeState(hostDir: string | null, mode: number): Record<string, unknown> {
  return {
    _host_path: null,
    _container_path: null,
    mode: 'rw',
    _transformed: false,
    host_dir: hostDir,
    _mode: mode,
    _instance: null,
  };
}

const defaultVolumeSlots = new Map<string, PyObject>();

/**
 * Python evaluates a default argument once, so every object made without its `volume` argument
 * shares the one `_DefaultTemporaryVolume` of that function's default (all VolumePaths share one,
 * all NamedOutputPipes another, all NamedInputPipes a third; `TemporaryVolume.default` written
 * out is a new one at each access). To send the layout Python sends, `TemporaryVolume.default`
 * held by such an object is encoded as the shared stand-in of its slot (named after the Python
 * class, e.g. `VolumePath`, `NamedOutputPipe`); only the layout depends on it: every
 * `_DefaultTemporaryVolume` stands for the task's one default volume.
 */
export function pythonDefaultVolume(slot: string): PyObject {
  let volume = defaultVolumeSlots.get(slot);
  if (volume === undefined) {
    volume = new PyObject(
      C.DefaultTemporaryVolume,
      Object.freeze(temporaryVolumeState(null, PYTHON_TEMPORARY_VOLUME_MODE)),
    );
    defaultVolumeSlots.set(slot, volume);
  }
  return volume;
}

/** What to encode for `volume` held by an object whose Python constructor defaults it (see above). */
export function volumeForPython(volume: Volume, slot: string): Volume | PyObject {
  return volume === TemporaryVolume.default ? pythonDefaultVolume(slot) : volume;
}

function decodeTemporaryVolume(_state: unknown, ctx: PythonState): TemporaryVolume {
  return new TemporaryVolume(
    ctx.optionalString('host_dir'),
    ctx.integer('_mode', PYTHON_TEMPORARY_VOLUME_MODE),
  );
}

/** Girder Worker's pipes keep `_container_path`/`_host_path` (directories) only when both were given, else `_volume`. */
function decodePipe<P>(
  Pipe: new (name: string, containerPath?: string, hostPath?: string, volume?: Volume) => P,
  ctx: PythonState,
): P {
  const name = ctx.string('name');
  const containerDir = ctx.optionalString('_container_path');
  const hostDir = ctx.optionalString('_host_path');
  if (containerDir !== undefined && hostDir !== undefined) return new Pipe(name, containerDir, hostDir);
  if (containerDir !== undefined || hostDir !== undefined) {
    throw ctx.fail(
      "'_container_path' and '_host_path' must be given together (or neither, with a '_volume')",
    );
  }
  return new Pipe(name, undefined, undefined, ctx.volume('_volume'));
}

function encodePipe(
  pipe: NamedInputPipe | NamedOutputPipe,
  classPath: string,
  slot: string,
): PythonObjectDescription {
  const explicit = pipe.containerDir !== undefined && pipe.hostDir !== undefined;
  return {
    classPath,
    state: {
      _container_path: explicit ? pipe.containerDir : null,
      _host_path: explicit ? pipe.hostDir : null,
      _volume: explicit ? null : volumeForPython(pipe.volume, slot),
      name: pipe.name,
    },
  };
}

function cannotSend(what: string, path: string, why: string): ProtocolError {
  return new ProtocolError(`${what} at ${path} cannot be sent to another process: ${why}`);
}

/** Registers the Girder Worker docker transforms (both directions) in `registry`. */
export function installDockerTransforms(registry: PythonClassRegistry): void {
  // Decoding: Python attributes → longshore constructors.
  registry
    .register(
      C.BindMountVolume,
      (_s, ctx) =>
        new BindMountVolume(
          ctx.string('_host_path'),
          ctx.string('_container_path'),
          (ctx.optionalString('mode') ?? 'rw') as MountMode,
        ),
    )
    .register(C.TemporaryVolume, decodeTemporaryVolume)
    .register(C.DefaultTemporaryVolume, () => TemporaryVolume.default)
    .register(C.VolumePath, (_s, ctx) => new VolumePath(ctx.string('filename'), ctx.volume('_volume')))
    .register(C.NamedInputPipe, (_s, ctx) => decodePipe(NamedInputPipe, ctx))
    .register(C.NamedOutputPipe, (_s, ctx) => decodePipe(NamedOutputPipe, ctx))
    .register(
      C.Connect,
      (_s, ctx) =>
        new Connect(ctx.required('_input') as ConnectInput, ctx.required('_output') as ConnectOutput),
    )
    .register(C.HostStdOut, () => new HostStdOut())
    .register(C.HostStdErr, () => new HostStdErr())
    .register(C.ContainerStdOut, () => new ContainerStdOut())
    .register(C.ContainerStdErr, () => new ContainerStdErr())
    .register(
      C.ChunkedTransferEncodingStream,
      (_s, ctx) => new ChunkedTransferEncodingStream(ctx.string('url'), ctx.stringRecord('headers', {})),
    )
    .register(C.ProgressPipe, (_s, ctx) => new ProgressPipe(ctx.string('name'), ctx.volume('_volume')));

  // Encoding: longshore objects → the attributes Girder Worker's client sends, in its order.
  registry
    .registerEncoder(BindMountVolume, (v) => ({
      classPath: C.BindMountVolume,
      state: { _host_path: v.hostPath, _container_path: v.containerPath, mode: v.mode },
    }))
    .registerEncoder(TemporaryVolume, (v) => ({
      classPath: C.TemporaryVolume,
      state: temporaryVolumeState(v.hostDir ?? null, v.mode),
    }))
    // Python makes a new _DefaultTemporaryVolume at each `TemporaryVolume.default` written out.
    .registerInstanceEncoder(TemporaryVolume.default, () => ({
      classPath: C.DefaultTemporaryVolume,
      state: temporaryVolumeState(null, PYTHON_TEMPORARY_VOLUME_MODE),
      fresh: true,
    }))
    .registerEncoder(VolumePath, (v) => ({
      classPath: C.VolumePath,
      state: { filename: v.filename, _volume: volumeForPython(v.volume, 'VolumePath') },
    }))
    .registerEncoder(NamedInputPipe, (p) => encodePipe(p, C.NamedInputPipe, 'NamedInputPipe'))
    .registerEncoder(NamedOutputPipe, (p) => encodePipe(p, C.NamedOutputPipe, 'NamedOutputPipe'))
    .registerEncoder(Connect, (c) => ({
      classPath: C.Connect,
      state: { _input: c.input, _output: c.output },
    }))
    .registerEncoder(HostStdOut, () => ({ classPath: C.HostStdOut, state: {} }))
    .registerEncoder(HostStdErr, () => ({ classPath: C.HostStdErr, state: {} }))
    .registerEncoder(ContainerStdOut, () => ({ classPath: C.ContainerStdOut, state: {} }))
    .registerEncoder(ContainerStdErr, () => ({ classPath: C.ContainerStdErr, state: {} }))
    .registerEncoder(ChunkedTransferEncodingStream, (s) => ({
      classPath: C.ChunkedTransferEncodingStream,
      state: { url: s.url, headers: { ...s.headers } },
    }))
    .registerEncoder(ProgressPipe, (p) => ({
      classPath: C.ProgressPipe,
      state: { name: p.name, _volume: volumeForPython(p.volume, 'ProgressPipe') },
    }))
    // `Connect(pipe, process.stdout)` means the worker's stdout, as HostStdOut does.
    .registerInstanceEncoder(process.stdout, () => ({ classPath: C.HostStdOut, state: {} }))
    .registerInstanceEncoder(process.stderr, () => ({ classPath: C.HostStdErr, state: {} }))
    .registerEncoder(HostFile, (f, path) => {
      throw cannotSend(
        `${f.describe()} (a HostFile)`,
        path,
        'Girder Worker has no transform for a file of this host; use a VolumePath on a BindMountVolume',
      );
    })
    .registerEncoder(Readable, (s, path) => {
      throw cannotSend(
        `A Node stream (a ${s.constructor.name})`,
        path,
        'a stream exists only in this process',
      );
    })
    .registerEncoder(Writable, (s, path) => {
      throw cannotSend(
        `A Node stream (a ${s.constructor.name})`,
        path,
        'a stream exists only in this process',
      );
    });
}
