import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { StreamError, messageOf } from '../core/errors.js';

export interface CopierExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The child's stderr, its first 4 KiB. */
  stderr: string;
}

/**
 * Runs a child that copies bytes between descriptors it was given (`cat`, the splice loop), and
 * waits for it to end. Aborting `signal` kills it, so the child never outlives the copy; that
 * rejects with a StreamError, as does a child that cannot start. libuv makes a child's fds 0-2
 * blocking and gives it SIGPIPE's default action, so a reader that goes away ends it at once.
 */
export async function runCopier(
  program: string,
  args: readonly string[],
  stdio: StdioOptions,
  signal: AbortSignal | undefined,
  /** Written to the child's stdin (which must be a pipe), then closed: settings kept out of argv. */
  input?: string,
): Promise<CopierExit> {
  const name = program.replace(/.*\//, '');
  let child: ChildProcess;
  try {
    child = spawn(program, args, { stdio });
  } catch (error) {
    throw new StreamError(`Could not run ${name}: ${messageOf(error)}`, { cause: error });
  }
  if (input !== undefined) {
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
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
    const [code, exitSignal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once('error', reject);
        child.once('close', (exitCode, killedBy) => resolve([exitCode, killedBy]));
      },
    );
    if (exitSignal === 'SIGKILL' && signal?.aborted) {
      throw new StreamError(`Stream stopped: ${messageOf(signal.reason)}`, { cause: signal.reason });
    }
    return { code, signal: exitSignal, stderr };
  } catch (error) {
    if (error instanceof StreamError) throw error;
    throw new StreamError(`Could not run ${name}: ${messageOf(error)}`, { cause: error });
  } finally {
    signal?.removeEventListener('abort', kill);
  }
}
