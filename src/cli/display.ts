import { Writable } from 'node:stream';
import type { Progress, PullProgress, StreamIO, StreamSink } from '../index.js';
import {
  PullTracker,
  StatusLine,
  formatPlainProgress,
  formatPlainPull,
  formatProgressBar,
} from './progress-bar.js';

/** What `longshore run` shows besides the container's own output; all of it goes to stderr. */
export interface Display {
  progress(progress: Progress): void;
  pull(pull: PullProgress): void;
  /** A line from longshore itself (a warning, a notice). */
  note(line: string): void;
  /** The container's output, written so that it and the display do not garble each other. */
  write(target: NodeJS.WriteStream, chunk: Buffer | string, callback: (error?: Error | null) => void): void;
  close(): void;
}

/** A single redrawn status line: a progress bar for pulls and ProgressPipe reports. */
export class TerminalDisplay implements Display {
  readonly #line: StatusLine;
  readonly #stderr: NodeJS.WriteStream;
  readonly #pull = new PullTracker();

  constructor(stderr: NodeJS.WriteStream) {
    this.#stderr = stderr;
    this.#line = new StatusLine(stderr);
  }

  progress(progress: Progress): void {
    this.#line.set(formatProgressBar(progress));
  }

  pull(pull: PullProgress): void {
    this.#pull.update(pull);
    this.#line.set(this.#pull.line);
  }

  note(line: string): void {
    this.#line.write(this.#stderr, `${line}\n`, () => undefined);
  }

  write(target: NodeJS.WriteStream, chunk: Buffer | string, callback: (error?: Error | null) => void): void {
    this.#line.write(target, chunk, callback);
  }

  close(): void {
    this.#line.close();
  }
}

/** Plain lines (`progress: 1/2 message`, `pull: <status>`), for logs, pipes and --quiet. */
export class PlainDisplay implements Display {
  readonly #stderr: NodeJS.WriteStream;
  readonly #pulls = new Set<string>();

  constructor(stderr: NodeJS.WriteStream) {
    this.#stderr = stderr;
  }

  progress(progress: Progress): void {
    this.note(formatPlainProgress(progress));
  }

  pull(pull: PullProgress): void {
    const line = formatPlainPull(pull);
    if (this.#pulls.has(line)) return;
    this.#pulls.add(line);
    this.note(line);
  }

  note(line: string): void {
    this.#stderr.write(`${line}\n`);
  }

  write(target: NodeJS.WriteStream, chunk: Buffer | string, callback: (error?: Error | null) => void): void {
    target.write(chunk, callback);
  }

  close(): void {}
}

/**
 * One of this process's standard streams as the sink of a `Connect`: the bytes go through the
 * display (so a progress bar steps aside), with backpressure, and the stream is never ended.
 * `onBrokenPipe` is called when the reader of the stream has gone away (EPIPE).
 */
export class ConsoleSink implements StreamSink {
  constructor(
    readonly target: NodeJS.WriteStream,
    readonly display: Display,
    readonly onBrokenPipe: () => void = () => undefined,
  ) {}

  openSink(_io: StreamIO): Promise<Writable | null> {
    const { target, display, onBrokenPipe } = this;
    const sink = new Writable({
      decodeStrings: false,
      write(chunk: Buffer | string, _encoding, callback) {
        display.write(target, chunk, (error) => {
          if (error && (error as NodeJS.ErrnoException).code === 'EPIPE') onBrokenPipe();
          callback(error ?? null);
        });
      },
      final(callback) {
        callback();
      },
    });
    return Promise.resolve(sink);
  }

  describe(): string {
    return this.target === process.stdout
      ? 'host stdout'
      : this.target === process.stderr
        ? 'host stderr'
        : 'a terminal stream';
  }
}
