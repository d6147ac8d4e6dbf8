import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { StreamError, messageOf } from '../core/errors.js';
import { directIoAllowed } from './direct-io-setting.js';
import { findProgram } from './find-program.js';
import { perlScript } from './perl-script.js';
import { syscallNumbers } from './syscall-numbers.js';

/**
 * How one command ended: `ok` (every byte went), `file` (the file could not give them), `conn`
 * (the connection took no more), `eof` (the pipe ended first), `extra` (the pipe held more).
 */
export interface FeedResult {
  outcome: 'ok' | 'file' | 'conn' | 'eof' | 'extra';
  bytes: number;
  why?: string;
}

export interface SocketFeederOptions {
  /** `file`: byte ranges of a host file; `pipe`: what the container writes into a FIFO. */
  mode: 'file' | 'pipe';
  /** How long the connection may take nothing, in ms, before a command gives up. */
  idleTimeoutMs: number;
}

/** Whether a feeder can run here: direct I/O on, known system call numbers and a `perl` to make them. */
export async function socketFeederAvailable(): Promise<boolean> {
  return directIoAllowed() && syscallNumbers() !== undefined && (await findProgram('perl')) !== undefined;
}

/**
 * A `perl` child that writes bytes on one socket on command, from a host file by sendfile(2) or
 * from a FIFO by splice(2) (see scripts/feeder.pl): the kernel moves them, no byte passes through a
 * process. One child serves every request of a connection (the chunks of an upload), since
 * starting one costs 5 to 10 ms, a tenth of a 64 MiB chunk's time. Node keeps its own handle on
 * the socket, to write the requests' heads between commands and to read the answers; it must not
 * write during a command.
 *
 * Node has no sendfile or splice and native addons are not an option; perl is Essential in
 * Debian. `close` ends the child; an aborted command kills it. Either way it soon holds the socket
 * and the source no longer.
 */
export class SocketFeeder {
  readonly socket: Socket | null;
  readonly #child: ChildProcess;
  #waiting: ((line: string | null) => void) | undefined;
  #exited = false;
  #stderr = '';

  private constructor(socket: Socket | null, child: ChildProcess) {
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

  /** Starts a feeder of `sourceFd` on `socket` (null: only to watch a pipe's end). */
  static async start(
    socket: Socket | null,
    sourceFd: number,
    options: SocketFeederOptions,
  ): Promise<SocketFeeder> {
    const calls = syscallNumbers();
    const perl = await findProgram('perl');
    if (calls === undefined || !perl) {
      throw new StreamError(`sendfile and splice are not available on ${os.arch()} without perl`);
    }
    const nr = options.mode === 'file' ? calls.sendfile : calls.splice;
    const idle = String(Math.max(options.idleTimeoutMs, 1) / 1000);
    let child: ChildProcess;
    try {
      child = spawn(perl, [perlScript('feeder'), options.mode, String(nr), idle], {
        stdio: ['pipe', 'pipe', 'pipe', socket ?? 'ignore', sourceFd],
      });
    } catch (error) {
      throw new StreamError(`Could not run perl: ${messageOf(error)}`, { cause: error });
    } finally {
      // Node stops reading a stream it hands to a child: the answers are still to be read.
      if (socket && !socket.destroyed) socket.resume();
    }
    return new SocketFeeder(socket, child);
  }

  /** Sends the file's bytes [offset, offset + length) (mode `file`). */
  sendFile(offset: number, length: number, signal?: AbortSignal): Promise<FeedResult> {
    return this.#command(`${offset} ${length}`, signal);
  }

  /** Sends the next `length` bytes of the pipe (mode `pipe`). */
  sendPipe(length: number, signal?: AbortSignal): Promise<FeedResult> {
    return this.#command(String(length), signal);
  }

  /** Waits for the pipe's end: `ok` when nothing more came, `extra` when something did. */
  expectPipeEnd(signal?: AbortSignal): Promise<FeedResult> {
    return this.#command('rest', signal);
  }

  /** The container is gone: from now on the pipe's EOF is its end. */
  writerGone(): void {
    if (!this.#exited) this.#child.stdin?.write('exited\n');
  }

  /** Ends the child (idempotent); it exits once its current command, if any, is over. */
  close(): void {
    if (this.#exited) return;
    this.#child.stdin?.end();
    // It holds copies of the socket and the source: it must not outlive its use for long.
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    timer.unref();
    this.#child.once('close', () => clearTimeout(timer));
  }

  async #command(line: string, signal: AbortSignal | undefined): Promise<FeedResult> {
    if (this.#waiting) throw new Error('SocketFeeder: one command at a time');
    signal?.throwIfAborted();
    if (this.#exited) return { outcome: 'conn', bytes: 0, why: this.#why('the sender is gone') };
    const answer = new Promise<string | null>((resolve) => (this.#waiting = resolve));
    const kill = (): void => {
      this.#child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', kill, { once: true });
    try {
      this.#child.stdin!.write(`${line}\n`);
      const said = await answer;
      if (signal?.aborted) {
        throw new StreamError(`Stream stopped: ${messageOf(signal.reason)}`, { cause: signal.reason });
      }
      // A child gone mid-command: SIGPIPE when the peer closed the connection, or worse.
      if (said === null) return { outcome: 'conn', bytes: 0, why: this.#why('the connection was closed') };
      const [outcome = '', count = '0', ...why] = said.split(' ');
      const result: FeedResult = { outcome: outcome as FeedResult['outcome'], bytes: Number(count) };
      if (why.length > 0) result.why = why.join(' ');
      return result;
    } finally {
      signal?.removeEventListener('abort', kill);
    }
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
