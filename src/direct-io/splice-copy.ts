import os from 'node:os';
import type { Socket } from 'node:net';
import { StreamError } from '../core/errors.js';
import { runCopier } from './copier-child.js';
import { directIoAllowed } from './direct-io-setting.js';
import { findProgram } from './find-program.js';
import { perlScript } from './perl-script.js';
import { syscallNumbers } from './syscall-numbers.js';

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

/** Whether splicing can run here: direct I/O on, a known system call number and a `perl` to make it. */
export async function spliceAvailable(): Promise<boolean> {
  return (
    directIoAllowed() && syscallNumbers()?.splice !== undefined && (await findProgram('perl')) !== undefined
  );
}

/**
 * Moves bytes from a connected socket into a FIFO with splice(2), in a `perl` child (scripts/splice.pl): the kernel
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
    [perlScript('splice'), String(nr), String(options.bytes), idle],
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
