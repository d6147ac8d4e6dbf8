import { PassThrough, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { LogStream, Reporter } from '../execution/reporter.js';

const HEADER_BYTES = 8;
const STDERR_TAIL_BYTES = 4096;

/**
 * Splits the engine's multiplexed attach stream (8-byte frame headers: type, 3 zero bytes, a
 * big-endian length) into stdout and stderr. Every chunk becomes a log event; streams asked for
 * through `output()` (ContainerStdOut / ContainerStdErr connections) get the same bytes with
 * backpressure: the attach stream pauses while any of them is full.
 */
export class ContainerOutput {
  readonly #reporter: Reporter;
  readonly #targets: Record<LogStream, PassThrough[]> = { stdout: [], stderr: [] };
  readonly #decoders: Record<LogStream, StringDecoder> = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };
  #stderrTail = '';

  constructor(reporter: Reporter) {
    this.#reporter = reporter;
  }

  /** A readable copy of one of the container's streams; ask before the container starts. */
  output(stream: LogStream): Readable {
    const target = new PassThrough({ highWaterMark: 1 << 20 });
    this.#targets[stream].push(target);
    return target;
  }

  get stderrTail(): string {
    return this.#stderrTail;
  }

  /** Reads the attach stream to its end (the container's exit closes it). */
  consume(source: Readable): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let pending: Buffer = Buffer.alloc(0);
      // Targets that asked us to wait. A target that closes (its pump was cancelled, or its
      // reader went away) never drains, so closing releases the wait too.
      const waiting = new Map<PassThrough, () => void>();
      const wait = (target: PassThrough) => {
        const release = () => {
          target.off('drain', release).off('close', release);
          waiting.delete(target);
          if (waiting.size === 0) source.resume();
        };
        waiting.set(target, release);
        target.on('drain', release).on('close', release);
      };
      const emit = (stream: LogStream, payload: Buffer) => {
        const text = this.#decoders[stream].write(payload);
        if (text) this.#log(stream, text);
        for (const target of this.#targets[stream]) {
          if (target.destroyed || target.writableEnded) continue;
          if (!target.write(payload) && !waiting.has(target)) wait(target);
        }
        if (waiting.size > 0) source.pause();
      };
      source.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        while (pending.length >= HEADER_BYTES) {
          const size = pending.readUInt32BE(4);
          if (pending.length < HEADER_BYTES + size) break;
          const stream: LogStream = pending[0] === 2 ? 'stderr' : 'stdout';
          emit(stream, pending.subarray(HEADER_BYTES, HEADER_BYTES + size));
          pending = pending.subarray(HEADER_BYTES + size);
        }
      });
      let finished = false;
      const finish = (error?: Error) => {
        if (finished) return;
        finished = true;
        for (const stream of ['stdout', 'stderr'] as const) {
          const rest = this.#decoders[stream].end();
          if (rest) this.#log(stream, rest);
          for (const target of this.#targets[stream]) target.end();
        }
        if (error) reject(error);
        else resolve();
      };
      source.once('end', () => finish());
      source.once('close', () => finish());
      source.once('error', (error) => finish(error));
    });
  }

  #log(stream: LogStream, text: string): void {
    if (stream === 'stderr') {
      this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL_BYTES);
    }
    this.#reporter.log({ stream, text });
  }
}
