import { EventEmitter } from 'node:events';
import { messageOf } from '../core/errors.js';
import { defaultLogger } from '../config/default-logger.js';
import type { Progress } from '../streams/progress-sink.js';
import type { TaskState } from './task-state.js';

export type { Progress } from '../streams/progress-sink.js';

export type LogStream = 'stdout' | 'stderr';

export interface LogChunk {
  stream: LogStream;
  text: string;
}

/** One line of an image pull, as the engine reports it. */
export interface PullProgress {
  image: string;
  status: string;
  layer?: string;
  current?: number;
  total?: number;
}

/**
 * Where a running task is within its run, for outputs that show it (a Girder job's FETCHING_INPUT,
 * RUNNING and PUSHING_OUTPUT): inputs being downloaded, the container running, outputs uploaded.
 */
export type TaskPhase = 'fetching-input' | 'running' | 'pushing-output';

/**
 * The one sink for what a running task tells the world. Several outputs hang off it: the
 * caller's events, later a Girder job and Celery task events.
 */
export interface Reporter {
  status(state: TaskState): void;
  log(chunk: LogChunk): void;
  progress(progress: Progress): void;
  pull(progress: PullProgress): void;
  warning(message: string): void;
  phase(phase: TaskPhase): void;
}

export interface ReporterEvents {
  status: [TaskState];
  log: [LogChunk];
  progress: [Progress];
  pull: [PullProgress];
  warning: [string];
  phase: [TaskPhase];
}

/** A reporter that re-emits everything as events; a listener that throws never breaks the task. */
export class EventReporter extends EventEmitter<ReporterEvents> implements Reporter {
  status(state: TaskState): void {
    this.#safeEmit('status', state);
  }
  log(chunk: LogChunk): void {
    this.#safeEmit('log', chunk);
  }
  progress(progress: Progress): void {
    this.#safeEmit('progress', progress);
  }
  pull(progress: PullProgress): void {
    this.#safeEmit('pull', progress);
  }
  warning(message: string): void {
    this.#safeEmit('warning', message);
  }
  phase(phase: TaskPhase): void {
    this.#safeEmit('phase', phase);
  }

  #safeEmit<K extends keyof ReporterEvents>(event: K, ...args: ReporterEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ReporterEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      defaultLogger().error({ err: error }, `A '${event}' listener threw: ${messageOf(error)}`);
    }
  }
}

/** Sends each report to several reporters. */
export class FanOutReporter implements Reporter {
  constructor(private readonly targets: readonly Reporter[]) {}
  status(state: TaskState): void {
    for (const t of this.targets) t.status(state);
  }
  log(chunk: LogChunk): void {
    for (const t of this.targets) t.log(chunk);
  }
  progress(progress: Progress): void {
    for (const t of this.targets) t.progress(progress);
  }
  pull(progress: PullProgress): void {
    for (const t of this.targets) t.pull(progress);
  }
  warning(message: string): void {
    for (const t of this.targets) t.warning(message);
  }
  phase(phase: TaskPhase): void {
    for (const t of this.targets) t.phase(phase);
  }
}
