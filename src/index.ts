/**
 * longshore's public API. Everything a user imports is listed here by name; anything else is
 * internal and may change.
 */

// Tasks
export {
  dockerRun,
  DOCKER_RUN_TASK_NAME,
  type DockerRunCallOptions,
  type DockerRunKwargs,
} from './docker-run/docker-run-task.js';
export { Task, type ApplyOptions, type TaskExecutionContext } from './app/task.js';
export {
  TaskHandle,
  TaskTimeoutError,
  type GetOptions,
  type RevokeOptions,
} from './execution/task-handle.js';
export type { DockerRunOptions } from './docker-run/docker-run-options.js';
export type { DockerRunResult } from './docker-run/execute-docker-run.js';
export type { TaskState } from './execution/task-state.js';
export type {
  Progress,
  LogChunk,
  LogStream,
  PullProgress,
  Reporter,
  TaskPhase,
} from './execution/reporter.js';
export type { TaskContext } from './execution/task-context.js';

// Distributed mode (Celery protocol v2 over RabbitMQ)
export {
  configure,
  resetConfiguration,
  getConfiguration,
  BROKER_ENV,
  BROKER_CA_ENV,
  BROKER_CERT_ENV,
  BROKER_KEY_ENV,
  BROKER_SERVERNAME_ENV,
  GIRDER_API_URL_ENV,
  GIRDER_API_KEY_ENV,
  GIRDER_TOKEN_ENV,
  TMP_ROOT_ENV,
  DOCKER_SOCKET_ENV,
  LOG_LEVEL_ENV,
  LOG_FORMAT_ENV,
  WORKER_POLICY_ENV,
  type GirderConfig,
  type LongshoreConfig,
  type ResolvedConfig,
} from './config/configuration.js';
export type { BrokerTlsOptions } from './config/broker-tls.js';
export { app, TaskRegistry, type TaskFunction } from './app/task-registry.js';
export type { WorkerTask, WorkerExecution } from './app/worker-task.js';
export { CeleryClient, type CeleryClientOptions, type WireCall } from './celery/client/celery-client.js';
export { celeryClient, closeAll } from './app/send-task.js';
export { Worker, type WorkerState } from './worker/worker.js';
export type { WorkerOptions } from './worker/worker-options.js';
export {
  parseWorkerPolicy,
  secureDefaultPolicy,
  type WorkerPolicy,
  type WorkerPolicyInput,
} from './docker-run/policy/policy-schema.js';
export { loadPolicyFile } from './docker-run/policy/load-policy.js';
export type { WorkerEventSink, TaskRef, RevokedDetails } from './celery/events/event-sink.js';
export type { TaskRequest } from './celery/protocol/parse-task-message.js';
export { ProtocolError } from './core/protocol-error.js';
export {
  Retry,
  RemoteTaskError,
  BrokerConnectionError,
  TaskNotRegisteredError,
  SoftTimeLimitExceededError,
  TimeLimitExceededError,
  MaxRetriesExceededError,
  type RetryOptions,
} from './celery/errors.js';

// Girder: the client, its errors, the transforms and result hooks that move data in and out, jobs
export {
  GirderClient,
  createGirderConnection,
  GirderError,
  GirderHttpError,
  GirderConfigError,
  GirderTransferError,
  GirderUploadError,
  uploadFileToItem,
  uploadFileToFolder,
  uploadPathToItem,
  uploadPathToFolder,
  uploadJobArtifacts,
  type GirderClientOptions,
  type RequestOptions,
  type GirderConnection,
  type GirderFile,
  type GirderItem,
  type GirderFolder,
  type UploadFileOptions,
  type UploadPathOptions,
  type UploadedFile,
  type JobArtifactOptions,
  type JobArtifacts,
} from './girder/index.js';
export {
  GirderFileIdToVolume,
  GirderFileIdToStream,
  GirderItemIdToVolume,
  GirderFolderIdToVolume,
  GirderUploadVolumePathToItem,
  GirderUploadVolumePathToFolder,
  GirderUploadVolumePathJobArtifact,
  GirderUploadJobArtifact,
  GirderUploadStream,
  type GirderFileIdToVolumeOptions,
  type GirderFileIdToStreamOptions,
  type GirderItemIdToVolumeOptions,
  type GirderFolderIdToVolumeOptions,
  type GirderUploadVolumePathToItemOptions,
  type GirderUploadVolumePathToFolderOptions,
  type GirderJobArtifactOptions,
  type GirderUploadStreamOptions,
} from './transforms/girder/index.js';
export {
  GirderJobReporter,
  JobStatus,
  buildJobInfoSpec,
  createGirderJob,
  CREATE_JOB_SCOPE,
  type GirderJobReporterOptions,
  type JobOutcome,
  type JobStatusCode,
  type JobInfoSpec,
  type GirderJob,
  type GirderJobOptions,
} from './girder-worker/job/index.js';

// Monitoring: Celery's events as data, and the monitor (history, HTTP API, live dashboard)
export {
  CeleryEventReader,
  type CeleryEvent,
  type EventReaderOptions,
} from './celery/events/event-reader.js';
export { broadcastInspect, type InspectOptions, type InspectReplies } from './celery/client/inspect.js';
export {
  startMonitor,
  type MonitorOptions,
  type MonitorAuthOptions,
  type RunningMonitor,
} from './monitor/monitor.js';
export type { ServerTimeouts } from './monitor/monitor-server.js';
export { MonitorAuthError } from './monitor/auth/auth-error.js';
export { hashPassword } from './monitor/auth/password-hash.js';
export type { TaskRecord, WorkerRecord, TaskProgress } from './monitor/task-record.js';

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

// Logging: every long-running part takes a pino logger (WorkerOptions.logger, MonitorOptions.logger)
export {
  createLogger,
  parseLogLevel,
  LOG_LEVELS,
  LOG_FORMATS,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogFormat,
} from './core/logger.js';

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
  PolicyError,
  type LongshoreErrorCode,
} from './core/errors.js';
