import { spawn, type ChildProcess } from 'node:child_process';
import { directIoAllowed } from './direct-io-setting.js';
import { perlScript } from './perl-script.js';

/** A pipe's buffer when nobody changed it (Linux). */
export const DEFAULT_PIPE_SIZE = 64 * 1024;
/** What F_SETPIPE_SZ grants any user by default (/proc/sys/fs/pipe-max-size). */
export const BIG_PIPE_SIZE = 1024 * 1024;

let perlMissing = false;

/**
 * Grows the kernel buffer of the pipe behind `fd` from 64 KiB to 1 MiB. With 64 KiB, every
 * 64 KiB moved costs the event loop a full wake-up (epoll, a syscall, the JS stream machinery);
 * on a small machine Node's thread then becomes the bottleneck at about half of what `cat`
 * moves. 16 times fewer wake-ups put it on par.
 *
 * Node has no fcntl and native addons are not an option, so a one-shot `perl`
 * (scripts/grow-pipe.pl) does it on a copy of the descriptor: the pipe's size belongs to the
 * pipe, whoever sets it. The copy is the child's fd 3 because libuv makes a child's fds 0-2
 * blocking, which would change our own descriptor too. Best effort: without perl, or past the user's pipe quota, the pipe keeps its
 * size and everything works as before. Resolves true when the pipe grew. The child has its copy
 * once this returns, so `fd` may be closed at once; the copy lives a few milliseconds, at most
 * 5 seconds. With direct I/O off (see directIoAllowed), no child runs and the pipe keeps its size.
 */
export function growPipe(fd: number): Promise<boolean> {
  if (perlMissing || !allowed()) return Promise.resolve(false);
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn('perl', [perlScript('grow-pipe'), String(BIG_PIPE_SIZE)], {
        stdio: ['ignore', 'ignore', 'ignore', fd],
        timeout: 5000,
      });
    } catch {
      // spawn throws for some errors (EBADF on a closed fd, say): the callers do not wait for
      // this promise, so it must not reject.
      resolve(false);
      return;
    }
    child.once('error', (error) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') perlMissing = true;
      resolve(false);
    });
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** The setting, read without throwing: callers fire and forget (a bad value fails the transfer). */
function allowed(): boolean {
  try {
    return directIoAllowed();
  } catch {
    return false;
  }
}
