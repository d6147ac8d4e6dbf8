import type { Writable } from 'node:stream';
import { createProgressSink } from '../streams/index.js';
import type { TaskContext } from '../execution/task-context.js';
import { Connect } from './connect.js';
import { NamedOutputPipe } from './named-output-pipe.js';
import { TemporaryVolume } from './temporary-volume.js';
import { Transform } from './transform.js';
import { type StreamIO, type StreamSink } from '../execution/endpoints.js';
import type { Volume } from './volume.js';

/** The task's progress: each line the container writes is a JSON `{current, total, message}`. */
class ProgressSink implements StreamSink {
  openSink(io: StreamIO): Promise<Writable | null> {
    return Promise.resolve(createProgressSink(io.reporter));
  }

  describe(): string {
    return 'task progress';
  }
}

/**
 * A named pipe the container writes its progress to, one JSON object per line with optional
 * `current`, `total` and `message` (Girder Worker's `ProgressPipe`). As an argument it becomes
 * the pipe's container path; the progress reaches the task's reporter.
 */
export class ProgressPipe extends Transform {
  readonly name: string;
  readonly volume: Volume;
  readonly #connect: Connect;

  constructor(name = '.girder_progress', volume: Volume = TemporaryVolume.default) {
    super();
    const pipe = new NamedOutputPipe(name, undefined, undefined, volume);
    this.name = name;
    this.volume = volume;
    this.#connect = new Connect(pipe, new ProgressSink());
  }

  override resolve(ctx: TaskContext): Promise<string> {
    return this.#connect.resolve(ctx);
  }

  override toString(): string {
    return `ProgressPipe(${JSON.stringify(this.name)})`;
  }
}
