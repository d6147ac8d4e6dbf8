import type { Readable, Writable } from 'node:stream';
import type { LogStream, Reporter } from './reporter.js';
import type { TaskContext } from './task-context.js';

/** The ends of a task's byte streams and its mounts: what the task context works with. */
export type MountMode = 'ro' | 'rw';

export interface VolumeMount {
  hostPath: string;
  containerPath: string;
  mode: MountMode;
}

/** What a stream endpoint may use when it opens, once the container is attached. */
export interface StreamIO {
  /**
   * Aborted when the task abandons its streams: only if they outlive the container. A cancel
   * stops the container, which ends the streams; what it says meanwhile still arrives.
   */
  readonly signal: AbortSignal;
  /** Aborted once the container has exited: endpoints still waiting for the container give up. */
  readonly containerExited: AbortSignal;
  readonly reporter: Reporter;
  /** The container's demultiplexed output, for `ContainerStdOut` / `ContainerStdErr`. */
  containerOutput(stream: LogStream): Readable;
}

/** Where the bytes of a `Connect` come from. `null` means "nothing to read" (for example the container never opened its pipe). */
export interface StreamSource {
  openSource(io: StreamIO): Promise<Readable | null>;
  describe(): string;
  /**
   * Called by `Connect` when it resolves, before the container starts: an endpoint that needs the
   * task (its Girder client, a temporary directory) returns the endpoint to open for this task.
   */
  bind?(ctx: TaskContext): Promise<StreamSource>;
}

/** Where the bytes of a `Connect` go. */
export interface StreamSink {
  openSink(io: StreamIO): Promise<Writable | null>;
  describe(): string;
  /** As `StreamSource.bind`: the endpoint to open for this task. */
  bind?(ctx: TaskContext): Promise<StreamSink>;
}

export function isStreamSource(value: unknown): value is StreamSource {
  return typeof (value as StreamSource | null)?.openSource === 'function';
}

export function isStreamSink(value: unknown): value is StreamSink {
  return typeof (value as StreamSink | null)?.openSink === 'function';
}
