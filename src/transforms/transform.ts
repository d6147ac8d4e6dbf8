import type { Readable, Writable } from 'node:stream';
import type { TaskContext } from '../execution/task-context.js';
import type { LogStream, Reporter } from '../execution/reporter.js';

/**
 * A value in a task's arguments that becomes something concrete when the task runs: a container
 * path, a mount, a FIFO, a download. Transforms are plain data; everything they create while
 * resolving goes through the TaskContext, so the same object can be used by many tasks and,
 * within one task, resolves once (the same object used twice yields the same path).
 */
export abstract class Transform {
  /** The value that takes this object's place in the container's arguments. */
  abstract resolve(ctx: TaskContext): Promise<unknown>;
}

export function isTransform(value: unknown): value is Transform {
  return value instanceof Transform;
}

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

/** How the container run ended, as a result hook sees it. */
export interface TaskOutcome {
  /** The container's exit code; null when it never ran to an exit (pull failed, cancelled...). */
  exitCode: number | null;
  /** The task's error, when it failed. */
  error?: unknown;
}

/**
 * Runs after the container (Girder Worker's "result hooks"). A hook runs after a successful
 * container; it also runs after a failure when `runOnFailure` is true, and its own failure then
 * never hides the task's error. Its return value is reported in the task's result.
 */
export interface ResultHook {
  readonly runOnFailure?: boolean;
  /** Called before the container starts, so that the hook can resolve (and mount) what it needs. */
  prepare?(ctx: TaskContext): Promise<void>;
  run(ctx: TaskContext, outcome: TaskOutcome): Promise<unknown>;
}

export function isResultHook(value: unknown): value is ResultHook {
  return typeof (value as ResultHook | null)?.run === 'function';
}
