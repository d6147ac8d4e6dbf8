import type { Logger } from '../core/logger.js';
import type { Reporter } from '../execution/reporter.js';
import { Retry, SoftTimeLimitExceededError, TimeLimitExceededError } from '../celery/errors.js';
import { WorkerShutdownReason } from '../app/worker-task.js';
import type { WorkerRequest } from './request-book.js';

export type RunOutcome =
  | { kind: 'success'; value: unknown }
  | { kind: 'failure'; error: unknown }
  | { kind: 'retry'; retry: Retry }
  | { kind: 'revoked'; signal: string }
  | { kind: 'shutdown' };

export interface RunRequestOptions {
  reporter: Reporter;
  /** Kills the task's containers at once (the hard time limit; revoke with SIGKILL). */
  kill: (taskId: string) => Promise<void>;
  /** The worker's logger for this task, handed to the task. */
  logger: Logger;
  /** The worker's policy, handed to the task. */
  policy?: unknown;
  /** How long to wait for a task to end after its hard time limit killed it. */
  settleMs?: number;
}

const DEFAULT_SETTLE_MS = 15_000;

/**
 * Runs one request under its time limits. Soft limit: the task's AbortSignal aborts (a
 * container gets SIGTERM, then SIGKILL after its grace period) and the task fails with
 * SoftTimeLimitExceeded unless it still returns a value. Hard limit: its containers are killed
 * and it fails with TimeLimitExceeded, even if it does not end by itself.
 */
export async function runRequest(entry: WorkerRequest, options: RunRequestOptions): Promise<RunOutcome> {
  const { request, controller } = entry;
  const timers: NodeJS.Timeout[] = [];
  let hardHit: TimeLimitExceededError | undefined;
  let onHard: (() => void) | undefined;
  const hardReached = new Promise<void>((resolve) => {
    onHard = resolve;
  });
  if (request.softTimeLimit !== undefined) {
    const soft = request.softTimeLimit;
    timers.push(
      setTimeout(() => {
        if (!controller.signal.aborted) controller.abort(new SoftTimeLimitExceededError(soft));
      }, soft * 1000),
    );
  }
  if (request.timeLimit !== undefined) {
    const hard = request.timeLimit;
    timers.push(
      setTimeout(() => {
        hardHit = new TimeLimitExceededError(hard);
        if (!controller.signal.aborted) controller.abort(hardHit);
        options.kill(request.id).catch(() => undefined);
        onHard?.();
      }, hard * 1000),
    );
  }
  const running = Promise.resolve()
    .then(() =>
      entry.task.run(request, {
        signal: controller.signal,
        reporter: options.reporter,
        logger: options.logger,
        policy: options.policy,
      }),
    )
    .then(
      (value): RunOutcome => ({ kind: 'success', value }),
      (error: unknown): RunOutcome => classify(error, controller.signal, entry),
    );
  try {
    const first = await Promise.race([running, hardReached.then(() => undefined)]);
    if (first !== undefined && hardHit === undefined) return first;
    // The hard limit passed: give the killed task a moment to clean up, then report it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      running,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.settleMs ?? DEFAULT_SETTLE_MS);
      }),
    ]);
    clearTimeout(timer);
    return { kind: 'failure', error: hardHit };
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}

function classify(error: unknown, signal: AbortSignal, entry: WorkerRequest): RunOutcome {
  if (error instanceof Retry) return { kind: 'retry', retry: error };
  if (!signal.aborted) return { kind: 'failure', error };
  const reason: unknown = signal.reason;
  if (reason instanceof WorkerShutdownReason) return { kind: 'shutdown' };
  if (reason instanceof SoftTimeLimitExceededError || reason instanceof TimeLimitExceededError) {
    return { kind: 'failure', error: reason };
  }
  if (entry.terminated) return { kind: 'revoked', signal: entry.terminated.signal };
  return { kind: 'failure', error };
}
