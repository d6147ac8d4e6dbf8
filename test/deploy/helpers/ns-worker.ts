// `longshore worker` started inside a network namespace (`ip netns exec`, which execs the command,
// so signals reach node itself). Docker is reached through /var/run/docker.sock, a Unix socket,
// which no network namespace hides; the broker only over the namespace's own network.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/longshore.js', import.meta.url));

export class NamespacedWorker {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<void>;

  constructor(ns: string, broker: string, args: readonly string[]) {
    this.child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, BIN, 'worker', '--broker', broker, ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const onData = (chunk: Buffer): void => {
      this.output += chunk.toString();
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the output matches `pattern`; fails early if the worker exits. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (!this.running) throw new Error(`worker exited before ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGTERM (a graceful stop), then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
