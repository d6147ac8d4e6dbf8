import type { AmqpConnection } from '../amqp/connection.js';
import type { WireException } from '../protocol/exception-info.js';
import type { TaskRequest } from '../protocol/parse-task-message.js';
import type { LogChunk, Progress } from '../../execution/reporter.js';

/** A task as events name it, even when its message could not be read in full. */
export interface TaskRef {
  id: string;
  name: string | undefined;
  request?: TaskRequest;
}

export interface RevokedDetails {
  terminated: boolean;
  signum: number | null;
  expired: boolean;
}

/**
 * Where a worker tells what happens to tasks (Celery's task events: received, started,
 * succeeded, failed, retried, revoked, rejected). Every method is optional, and one that throws
 * never disturbs the worker. `connected` runs after each (re)connect, so that a sink can publish
 * on the broker (Flower's events and heartbeats); `close` runs when the worker stops.
 */
export interface WorkerEventSink {
  connected?(connection: AmqpConnection): void | Promise<void>;
  workerOnline?(): void;
  workerOffline?(): void;
  taskReceived?(request: TaskRequest): void;
  taskStarted?(request: TaskRequest): void;
  taskSucceeded?(request: TaskRequest, result: unknown, runtimeSeconds: number): void;
  taskFailed?(task: TaskRef, error: unknown, exception: WireException, traceback: string | null): void;
  taskRetried?(request: TaskRequest, error: unknown, traceback: string | null): void;
  taskRevoked?(task: TaskRef, details: RevokedDetails): void;
  taskRejected?(task: TaskRef, requeue: boolean): void;
  /** longshore's own: where a running task is (batched by the worker, a few per second at most). */
  taskProgress?(request: TaskRequest, progress: Progress): void;
  /** longshore's own: what a running task's container printed since the last one (batched). */
  taskLog?(request: TaskRequest, chunk: LogChunk): void;
  close?(): void | Promise<void>;
}

type SyncHooks = Exclude<keyof WorkerEventSink, 'connected' | 'close'>;

/** Calls `method` on every sink, swallowing (and reporting) what they throw. */
export function emitEvent<K extends SyncHooks>(
  sinks: readonly WorkerEventSink[],
  method: K,
  onError: (error: unknown) => void,
  ...args: Parameters<NonNullable<WorkerEventSink[K]>>
): void {
  for (const sink of sinks) {
    try {
      (sink[method] as ((...a: unknown[]) => void) | undefined)?.call(sink, ...args);
    } catch (error) {
      onError(error);
    }
  }
}
