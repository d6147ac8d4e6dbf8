import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { StreamError, messageOf } from '../core/errors.js';

const execFileAsync = promisify(execFile);

/**
 * Creates a named pipe at `hostPath`. Node has no mkfifo binding, so this runs coreutils'
 * `mkfifo`. The mode is 0666 whatever the umask: the container may run as another user and
 * must still be able to open its end.
 */
export async function makeFifo(hostPath: string): Promise<void> {
  try {
    await execFileAsync('mkfifo', ['-m', '0666', '--', hostPath]);
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    const detail = typeof stderr === 'string' && stderr.trim() ? stderr.trim() : messageOf(error);
    throw new StreamError(`Could not create FIFO ${hostPath}: ${detail}`, { cause: error });
  }
}
