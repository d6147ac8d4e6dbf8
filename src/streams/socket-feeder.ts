import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { StreamError, messageOf } from '../errors.js';
import { findProgram } from './find-program.js';

/** sendfile(2)'s system call number, where longshore knows it. */
const SENDFILE_SYSCALL: Partial<Record<string, number>> = { x64: 40, arm64: 71 };
const MAX_SEND = 8 * 1024 * 1024;

// fd 3: the socket, left non-blocking (Node reads the answers on it), so a full send buffer
// answers EAGAIN and is waited for, at most the idle time; fd 4: the file. One command per line on
// stdin, `<offset> <length>`; one answer per line on stdout: `ok N`, `file N why` (the file could
// not give the bytes) or `conn N why` (the connection took no more). The offset travels as a
// packed off_t, which the kernel advances.
const SCRIPT = `
use strict; use Errno qw(EINTR EAGAIN);
my ($nr, $idle) = @ARGV;
$| = 1;
my $win = ''; vec($win, 3, 1) = 1;
while (my $line = <STDIN>) {
  my ($offset, $want) = split ' ', $line;
  my $off = pack('q', $offset);
  my ($n, $kind, $why) = (0, 'ok', '');
  while ($n < $want) {
    my $len = $want - $n; $len = ${MAX_SEND} if $len > ${MAX_SEND};
    my $sent = syscall($nr, 3, 4, $off, $len);
    if ($sent > 0) { $n += $sent; next; }
    if ($sent == 0) { ($kind, $why) = ('file', "it ended at byte @{[$offset + $n]}"); last; }
    if ($! == EAGAIN) {
      my $ready = select(undef, my $w = $win, undef, $idle);
      if ($ready == 0) { ($kind, $why) = ('conn', "the connection took nothing for $idle s"); last; }
      next;
    }
    next if $! == EINTR;
    ($kind, $why) = ($!{EBADF} || $!{EINVAL} || $!{EIO} ? 'file' : 'conn', "$!");
    last;
  }
  print "$kind $n $why\\n";
}
`;

/** How one send ended: every byte went, or fewer, and whose fault it was. */
export interface FeedResult {
  bytes: number;
  /** Why fewer bytes went than asked. */
  shortBecause?: string;
  /** The file is to blame (it shrank, it cannot be read), not the connection. */
  fileFailed?: boolean;
}

export interface SocketFeederOptions {
  /** How long the connection may take nothing, in ms, before a send gives up. */
  idleTimeoutMs: number;
}

/** Whether a feeder can run here: a known system call number and a `perl` to make it. */
export async function socketFeederAvailable(): Promise<boolean> {
  return SENDFILE_SYSCALL[os.arch()] !== undefined && (await findProgram('perl')) !== undefined;
}

/**
 * A `perl` child that writes byte ranges of a host file on one socket with sendfile(2), on
 * command: the kernel moves the file's pages, no byte passes through a process. One child serves
 * every request of a connection (the chunks of an upload), since starting one costs 5 to 10 ms, a
 * tenth of a 64 MiB chunk's time. Node keeps its own handle on the socket, to write the requests'
 * heads between sends and to read the answers; it must not write during a send.
 *
 * Node has no sendfile and native addons are not an option; perl is Essential in Debian. `close`
 * ends the child; an aborted send kills it. Either way it holds the socket no longer.
 */
export class SocketFeeder {
  readonly socket: Socket;
  readonly #child: ChildProcess;
  #waiting: ((line: string | null) => void) | undefined;
  #exited = false;
  #stderr = '';

  private constructor(socket: Socket, child: ChildProcess) {
    this.socket = socket;
    this.#child = child;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      if (this.#stderr.length < 4096) this.#stderr += text;
    });
    createInterface({ input: child.stdout! }).on('line', (line) => this.#deliver(line));
    child.once('close', () => {
      this.#exited = true;
      this.#deliver(null);
    });
    child.once('error', () => undefined);
    child.stdin?.on('error', () => undefined);
  }

  /** Starts a feeder of `fileFd` (any position: each send says its offset) on `socket`. */
  static async start(socket: Socket, fileFd: number, options: SocketFeederOptions): Promise<SocketFeeder> {
    const nr = SENDFILE_SYSCALL[os.arch()];
    const perl = await findProgram('perl');
    if (nr === undefined || !perl)
      throw new StreamError(`sendfile is not available on ${os.arch()} without perl`);
    const idle = String(Math.max(options.idleTimeoutMs, 1) / 1000);
    let child: ChildProcess;
    try {
      child = spawn(perl, ['-e', SCRIPT, String(nr), idle], {
        stdio: ['pipe', 'pipe', 'pipe', socket, fileFd],
      });
    } catch (error) {
      throw new StreamError(`Could not run perl: ${messageOf(error)}`, { cause: error });
    } finally {
      // Node stops reading a stream it hands to a child: the answers are still to be read.
      if (!socket.destroyed) socket.resume();
    }
    return new SocketFeeder(socket, child);
  }

  /** Sends the file's bytes [offset, offset + length) on the socket. Aborting kills the child. */
  async send(offset: number, length: number, signal?: AbortSignal): Promise<FeedResult> {
    if (this.#waiting) throw new Error('SocketFeeder: one send at a time');
    signal?.throwIfAborted();
    if (this.#exited) return { bytes: 0, shortBecause: this.#why('the sender is gone') };
    const answer = new Promise<string | null>((resolve) => (this.#waiting = resolve));
    const kill = (): void => {
      this.#child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', kill, { once: true });
    try {
      this.#child.stdin!.write(`${offset} ${length}\n`);
      const line = await answer;
      if (signal?.aborted) {
        throw new StreamError(`Stream stopped: ${messageOf(signal.reason)}`, { cause: signal.reason });
      }
      // A child gone mid-send: SIGPIPE when the peer closed the connection, or worse.
      if (line === null) return { bytes: 0, shortBecause: this.#why('the connection was closed') };
      const [kind = '', count = '0', ...why] = line.split(' ');
      const bytes = Number(count);
      if (kind === 'ok') return { bytes };
      return { bytes, shortBecause: why.join(' ') || 'unknown', fileFailed: kind === 'file' };
    } finally {
      signal?.removeEventListener('abort', kill);
    }
  }

  /** Ends the child (idempotent); it exits once its current send, if any, is over. */
  close(): void {
    if (this.#exited) return;
    this.#child.stdin?.end();
    // It holds a copy of the socket: it must not outlive its use for long.
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    timer.unref();
    this.#child.once('close', () => clearTimeout(timer));
  }

  #deliver(line: string | null): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(line);
  }

  #why(fallback: string): string {
    const said = this.#stderr.trim();
    const signal = this.#child.signalCode;
    return said || (signal && signal !== 'SIGPIPE' ? `the sender was killed by ${signal}` : fallback);
  }
}
