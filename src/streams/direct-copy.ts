import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { StreamError, messageOf } from '../errors.js';

/** Streams whose bytes need not pass through Node: a host file to read, a FIFO to write. */
const fileSources = new WeakMap<Readable, number>();
const fifoSinks = new WeakMap<Writable, number>();

/** `stream` reads the file open as `fd`, from its start, and has not read yet. */
export function markFileSource(stream: Readable, fd: number): void {
  fileSources.set(stream, fd);
}

/** `stream` writes the FIFO open as `fd`, whose reader (the container) is there. */
export function markFifoSink(stream: Writable, fd: number): void {
  fifoSinks.set(stream, fd);
}

let catPath: Promise<string | undefined> | undefined;

/** The first `cat` on the PATH, looked up once; undefined when there is none. */
function findCat(): Promise<string | undefined> {
  catPath ??= (async () => {
    for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
      const candidate = path.join(dir || '.', 'cat');
      try {
        await fs.promises.access(candidate, fs.constants.X_OK);
        return path.resolve(candidate);
      } catch {
        // not here
      }
    }
    return undefined;
  })();
  return catPath;
}

/**
 * Copies a host file into a FIFO with a `cat` child whose stdin is the file and stdout the FIFO,
 * so that no byte crosses Node's event loop: the copy runs at the speed of a shell's `cat file >
 * fifo`. libuv makes a child's fds 0-2 blocking (the FIFO was opened non-blocking), and gives it
 * SIGPIPE's default action, so a reader that goes away ends `cat` at once.
 *
 * Resolves undefined, touching nothing, when this pair is not a host file and a FIFO or there
 * is no `cat`: the caller then pumps in-process. Otherwise both streams are destroyed once
 * `cat` has its copies of the descriptors, and it resolves like `pump`: `endedEarly` when the
 * container closed its end first (SIGPIPE). A failing `cat` rejects with a StreamError, and
 * aborting `signal` kills it: the child never outlives the copy.
 */
export async function copyDirectly(
  source: Readable,
  sink: Writable,
  signal?: AbortSignal,
): Promise<{ endedEarly: boolean } | undefined> {
  const fileFd = fileSources.get(source);
  const fifoFd = fifoSinks.get(sink);
  if (fileFd === undefined || fifoFd === undefined) return undefined;
  const cat = await findCat();
  const untouched = !source.destroyed && !source.readableDidRead && source.readableLength === 0;
  if (!cat || !untouched || sink.destroyed || signal?.aborted) return undefined;

  let child: ChildProcess;
  try {
    child = spawn(cat, [], { stdio: [fileFd, fifoFd, 'pipe'] });
  } catch (error) {
    throw new StreamError(`Could not run cat: ${messageOf(error)}`, { cause: error });
  } finally {
    // Ours are no longer needed: cat has its copies, or will never run.
    for (const stream of [source, sink]) {
      stream.on('error', () => undefined);
      stream.destroy();
    }
  }
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < 4096) stderr += text;
  });
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  signal?.addEventListener('abort', kill, { once: true });
  try {
    const [code, signalName] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once('error', reject);
        child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
      },
    );
    if (signalName === 'SIGKILL' && signal?.aborted) {
      throw new StreamError(`Stream stopped: ${messageOf(signal.reason)}`, { cause: signal.reason });
    }
    if (code === 0) return { endedEarly: false };
    if (signalName === 'SIGPIPE' || /broken pipe/i.test(stderr)) return { endedEarly: true };
    const why = stderr.trim() || (signalName ? `killed by ${signalName}` : `exit code ${code}`);
    throw new StreamError(`cat failed: ${why}`);
  } catch (error) {
    if (error instanceof StreamError) throw error;
    throw new StreamError(`Could not run cat: ${messageOf(error)}`, { cause: error });
  } finally {
    signal?.removeEventListener('abort', kill);
  }
}
