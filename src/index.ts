/**
 * longshore's public API. Everything a user imports is listed here by name; anything else is
 * internal and may change.
 */

// Tasks
export { dockerRun, DOCKER_RUN_TASK_NAME, type DockerRunCallOptions } from './tasks/docker-run-task.js';
export { Task, type ApplyOptions, type TaskExecutionContext } from './tasks/task.js';
export { TaskHandle, TaskTimeoutError, type GetOptions } from './tasks/task-handle.js';
export type { DockerRunOptions } from './docker/docker-run-options.js';
export type { DockerRunResult } from './docker/docker-run.js';
export type { TaskState } from './task/task-state.js';
export type { Progress, LogChunk, LogStream, PullProgress, Reporter } from './task/reporter.js';
export type { TaskContext } from './task/task-context.js';

// Transforms
export {
  Transform,
  Volume,
  TemporaryVolume,
  BindMountVolume,
  VolumePath,
  NamedInputPipe,
  NamedOutputPipe,
  Connect,
  HostStdOut,
  HostStdErr,
  ContainerStdOut,
  ContainerStdErr,
  HostFile,
  ChunkedTransferEncodingStream,
  ProgressPipe,
  type VolumeMount,
  type StreamIO,
  type StreamSource,
  type StreamSink,
  type ResultHook,
  type TaskOutcome,
} from './transforms/index.js';

// Errors
export {
  LongshoreError,
  ValidationError,
  DockerEngineError,
  ImagePullError,
  ImageNotFoundError,
  ContainerStartError,
  ContainerExitError,
  StreamError,
  TaskCancelledError,
  ResultHookError,
  CleanupError,
} from './errors.js';
