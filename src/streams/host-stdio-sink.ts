import { Writable } from 'node:stream';

export type HostStdio = 'stdout' | 'stderr';

/**
 * A sink that writes into the host process's stdout or stderr (or any other shared stream) and
 * leaves it open when the copy ends or fails: other tasks and the program itself still use it.
 * Each chunk is acknowledged only once the target has taken it, so a slow terminal or pipe
 * slows the container's output down instead of filling memory.
 */
export function createHostStdioSink(target: HostStdio | NodeJS.WritableStream): Writable {
  const stream = target === 'stdout' ? process.stdout : target === 'stderr' ? process.stderr : target;
  return new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, callback) {
      stream.write(chunk, (error?: Error | null) => callback(error ?? null));
    },
    final(callback) {
      callback();
    },
  });
}
