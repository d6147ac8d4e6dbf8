import { EventReporter, type LogChunk, type LogStream, type Progress } from '../execution/reporter.js';

/** How often a running task's progress and output go out as events: about 4 a second at most. */
export const OUTPUT_FLUSH_MS = 250;

export interface TaskOutputTarget {
  progress(progress: Progress): void;
  log(chunk: LogChunk): void;
}

/**
 * A running task's reporter, batched for Celery events: a container that prints thousands of
 * lines, or reports progress in a tight loop, must not flood the broker. Every OUTPUT_FLUSH_MS
 * it sends the last progress and one concatenated chunk of output (one per stream when both
 * wrote); `close()` sends what is left, before the task's outcome is reported.
 */
export class TaskOutputBatcher {
  readonly reporter = new EventReporter();
  readonly #target: TaskOutputTarget;
  #progress: Progress | undefined;
  readonly #text = new Map<LogStream, string>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(target: TaskOutputTarget) {
    this.#target = target;
    this.reporter.on('progress', (progress) => {
      this.#progress = progress;
      this.#arm();
    });
    this.reporter.on('log', (chunk) => {
      this.#text.set(chunk.stream, (this.#text.get(chunk.stream) ?? '') + chunk.text);
      this.#arm();
    });
  }

  /** Sends what is pending and stops batching. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flush();
  }

  #arm(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, OUTPUT_FLUSH_MS);
    this.#timer.unref();
  }

  #flush(): void {
    const progress = this.#progress;
    this.#progress = undefined;
    if (progress) this.#target.progress(progress);
    for (const [stream, text] of this.#text) if (text !== '') this.#target.log({ stream, text });
    this.#text.clear();
  }
}
