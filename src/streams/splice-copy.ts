import os from 'node:os';
import type { Socket } from 'node:net';
import { StreamError } from '../core/errors.js';
import { runCopier } from './copier-child.js';
import { findProgram } from './find-program.js';
import { syscallNumbers } from './syscall-numbers.js';

const MAX_SPLICE = 1024 * 1024;

// fd 0: the socket (made blocking by libuv, so it is polled with a timeout before each call);
// fd 3: the FIFO, left non-blocking, so a full pipe answers EAGAIN and is waited for without limit
// (a slow container is not a stalled server). SPLICE_F_MOVE | SPLICE_F_NONBLOCK = 3. The count
// goes to stderr: fd 1 is not ours to write.
const SCRIPT = `
use strict; use Errno qw(EINTR EAGAIN);
my ($nr, $want, $idle) = @ARGV;
my ($n, $why) = (0, 'the connection closed');
my $rin = ''; vec($rin, 0, 1) = 1;
my $win = ''; vec($win, 3, 1) = 1;
while ($n < $want) {
  my $ready = select(my $r = $rin, undef, undef, $idle);
  if ($ready < 0) { next if $! == EINTR; $why = "select: $!"; last; }
  if ($ready == 0) { $why = "nothing arrived for $idle s"; last; }
  my $len = $want - $n; $len = ${MAX_SPLICE} if $len > ${MAX_SPLICE};
  my $moved = syscall($nr, 0, 0, 3, 0, $len, 3);
  if ($moved > 0) { $n += $moved; next; }
  last if $moved == 0;
  if ($! == EAGAIN) { select(undef, my $w = $win, undef, undef); next; }
  next if $! == EINTR;
  $why = "$!"; last;
}
print STDERR "spliced $n\\n$why\\n";
exit($n == $want ? 0 : 3);
`;

export interface SpliceOptions {
  /** Bytes to move: the copy stops there. */
  bytes: number;
  /** How long the socket may stay silent, in ms, before the copy gives up. */
  idleTimeoutMs: number;
  /** Aborting kills the copy (a StreamError). */
  signal?: AbortSignal | undefined;
}

/** How a splice ended: the container closed its end first, or so many bytes moved. */
export type SpliceResult =
  | { endedEarly: true }
  | {
      endedEarly: false;
      bytes: number;
      /** Why fewer than the bytes asked for arrived (the connection closed, went silent, failed). */
      shortBecause?: string;
    };

/** Whether splicing can run here: a known system call number and a `perl` to make it. */
export async function spliceAvailable(): Promise<boolean> {
  return syscallNumbers()?.splice !== undefined && (await findProgram('perl')) !== undefined;
}

/**
 * Moves bytes from a connected socket into a FIFO with splice(2), in a `perl` child: the kernel
 * hands the socket's pages to the pipe, and no byte is copied through a process, where Node's
 * HTTP client spends about a second of CPU per GiB reading 64 KiB at a time. Node has no splice
 * and native addons are not an option; perl (Essential in Debian) makes the raw system call.
 *
 * The socket is the caller's to hand over: it is destroyed here once the child holds its copy,
 * and Node must not have read past what the caller took. A connection that closes or stays silent
 * early is not an error: the result says how far it got and why, so the caller can resume.
 */
export async function spliceToFifo(
  socket: Socket,
  fifoFd: number,
  options: SpliceOptions,
): Promise<SpliceResult> {
  const nr = syscallNumbers()?.splice;
  const perl = await findProgram('perl');
  if (nr === undefined || !perl) {
    socket.destroy();
    throw new StreamError(`splice is not available on ${os.arch()} without perl`);
  }
  const idle = String(Math.max(options.idleTimeoutMs, 1) / 1000);
  const exiting = runCopier(
    perl,
    ['-e', SCRIPT, String(nr), String(options.bytes), idle],
    [socket, 'ignore', 'pipe', fifoFd],
    options.signal,
  );
  // The child has its copy once spawned (runCopier spawns synchronously).
  socket.destroy();
  const exit = await exiting;
  if (exit.signal === 'SIGPIPE') return { endedEarly: true };
  const report = /spliced (\d+)\n(.*)\n/.exec(exit.stderr);
  if (!report || (exit.code !== 0 && exit.code !== 3)) {
    const why = exit.stderr.trim() || (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`);
    throw new StreamError(`splice failed: ${why}`);
  }
  const bytes = Number(report[1]);
  return exit.code === 0
    ? { bytes, endedEarly: false }
    : { bytes, endedEarly: false, shortBecause: report[2] };
}
