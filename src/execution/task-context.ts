import type { GirderClient } from '../girder/girder-client.js';
import type { GirderConnection } from '../girder/girder-connection.js';
import type { CleanupStack } from './cleanup-stack.js';
import type { Reporter } from './reporter.js';
import type { StreamSink, StreamSource, VolumeMount } from './endpoints.js';

/**
 * What a transform may use while it resolves. It is the seam between pure transform objects and
 * the running task: no transform imports docker or queue code.
 */
export interface TaskContext {
  readonly taskId: string;
  /** Aborted when the task is cancelled. */
  readonly signal: AbortSignal;
  readonly reporter: Reporter;
  /** Register cleanups here; they run in reverse order when the task ends, whatever happened. */
  readonly cleanup: CleanupStack;

  /** Runs `make` once per key object for this task; later calls get the same promise. */
  once<T>(key: object, make: () => Promise<T>): Promise<T>;

  /** The task's own temporary volume, created on first use and always mounted. */
  defaultVolume(): Promise<VolumeMount>;

  /** A new temporary directory (under `hostDir` or the configured temp root), removed at cleanup. */
  makeTempDir(hostDir?: string): Promise<string>;

  /** Mount a host path into the container. The same host and container path twice is one mount. */
  mount(mount: VolumeMount): void;

  /** Create a FIFO at `hostPath`, removed at cleanup. */
  makeFifo(hostPath: string): Promise<void>;

  /** Stream a source into a sink while the container runs; it opens once the container is attached. */
  connect(source: StreamSource, sink: StreamSink): void;

  /**
   * A Girder client: for `connection` (a transform's own, from a Python message), else the task's.
   * Throws a GirderConfigError when the task has no Girder.
   */
  girder(connection?: GirderConnection | null): GirderClient;

  /** Where job artifacts go when the Girder server has no artifact route (a folder id), if anywhere. */
  readonly artifactFolderId: string | undefined;

  /** The id of the Girder job that follows this task, if one does (job artifacts default to it). */
  readonly girderJobId: string | undefined;
}
