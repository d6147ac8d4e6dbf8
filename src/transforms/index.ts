export { Transform, isTransform, isResultHook, type TaskOutcome, type ResultHook } from './transform.js';
export {
  isStreamSource,
  isStreamSink,
  type MountMode,
  type VolumeMount,
  type StreamIO,
  type StreamSource,
  type StreamSink,
} from '../execution/endpoints.js';
export { Volume, isVolume } from './volume.js';
export { TemporaryVolume, DEFAULT_TEMPORARY_VOLUME } from './temporary-volume.js';
export { BindMountVolume } from './bind-mount-volume.js';
export { VolumePath } from './volume-path.js';
export { NamedPipe, ResolvedFifo } from './named-pipe.js';
export { NamedInputPipe, ResolvedInputFifo } from './named-input-pipe.js';
export { NamedOutputPipe, ResolvedOutputFifo } from './named-output-pipe.js';
export { HostStdOut, HostStdErr } from './host-stdio.js';
export { ContainerStdOut, ContainerStdErr } from './container-stdio.js';
export { HostFile } from './host-file.js';
export { ChunkedTransferEncodingStream } from './chunked-transfer-encoding-stream.js';
export { Connect, type ConnectInput, type ConnectOutput } from './connect.js';
export { ProgressPipe } from './progress-pipe.js';
export { resolveArgs, toContainerArgs } from './resolve-args.js';
