import type { Logger } from '../core/logger.js';
import { TaskCancelledError, messageOf } from '../core/errors.js';
import type { AmqpChannel, DeliveredMessage } from '../celery/amqp/connection.js';
import type { Retry } from '../celery/errors.js';
import { toWireException, tracebackOf } from '../celery/protocol/exception-info.js';
import type { TaskRequest } from '../celery/protocol/parse-task-message.js';
import { pyRepr } from '../celery/protocol/python-values.js';
import type { ResultState } from '../celery/protocol/result-message.js';
import type { LogChunk, Progress } from '../execution/reporter.js';
import {
  emitEvent,
  type RevokedDetails,
  type TaskRef,
  type WorkerEventSink,
} from '../celery/events/event-sink.js';
import { republishForRetry, storeResult, type ResultTarget } from './result-store.js';

export interface OutcomeReporterDeps {
  /** The worker's node name (reported with STARTED). */
  hostname: string;
  events: readonly WorkerEventSink[];
  logger: Logger;
  /** The channel to publish on now (waits for a reconnect). */
  channel(): Promise<AmqpChannel>;
}

const STORE_ATTEMPTS = 3;

/**
 * Tells the world how each task went, in the three places that listen: the rpc:// result for
 * its client, the event sinks (Flower), and the worker's log, one line per task state.
 */
export class OutcomeReporter {
  readonly #deps: OutcomeReporterDeps;

  constructor(deps: OutcomeReporterDeps) {
    this.#deps = deps;
  }

  received(request: TaskRequest): void {
    this.#emit('taskReceived', request);
    this.#deps.logger.info({ taskId: request.id }, `Task ${request.name}[${request.id}] received`);
  }

  /**
   * STARTED is sent, not waited for: the outcome, stored later on the same channel, comes after
   * it (and a STARTED lost with a channel matters to nobody once the outcome arrives). Resolves
   * once the message is on its way, which saves a broker round trip per task.
   */
  async started(request: TaskRequest): Promise<void> {
    this.#emit('taskStarted', request);
    if (!request.replyTo || request.ignoreResult) return;
    try {
      const channel = await this.#deps.channel();
      storeResult(channel, request, 'STARTED', { pid: process.pid, hostname: this.#deps.hostname }).catch(
        () => undefined,
      );
    } catch {
      // No connection: the outcome is what matters.
    }
  }

  /** Rejects with a ProtocolError when the value cannot be sent (the task must then fail). */
  async succeeded(request: TaskRequest, value: unknown, runtimeSeconds: number): Promise<void> {
    await this.store(request, 'SUCCESS', value);
    this.#emit('taskSucceeded', request, value, runtimeSeconds);
    this.#deps.logger.info(
      { taskId: request.id },
      `Task ${request.name}[${request.id}] succeeded in ${runtimeSeconds.toFixed(3)}s: ${pyRepr(value)}`,
    );
  }

  async failed(target: ResultTarget, ref: TaskRef, error: unknown): Promise<void> {
    const exception = toWireException(error);
    const traceback = tracebackOf(error);
    await this.store(target, 'FAILURE', exception, traceback).catch((e: unknown) =>
      this.#deps.logger.error(
        { taskId: target.id },
        `Could not store the failure of ${target.id}: ${messageOf(e)}`,
      ),
    );
    this.#emit('taskFailed', ref, error, exception, traceback);
    this.#deps.logger.error(
      { taskId: ref.id },
      `Task ${ref.name ?? '?'}[${ref.id}] failed: ${exception.exc_type}: ${exception.exc_message.map(String).join(', ')}`,
    );
  }

  /** Sends the task again (retries + 1, eta) and reports RETRY; resolves once the broker has it. */
  async retried(request: TaskRequest, message: DeliveredMessage, retry: Retry): Promise<void> {
    const eta = await republishForRetry(await this.#deps.channel(), message, request.retries, retry);
    const cause = retry.cause ?? retry;
    await this.store(request, 'RETRY', toWireException(cause), tracebackOf(cause));
    this.#emit('taskRetried', request, cause, tracebackOf(cause));
    this.#deps.logger.info(
      { taskId: request.id },
      `Task ${request.name}[${request.id}] retry: ${retry.message} (at ${eta.toISOString()})`,
    );
  }

  async revoked(request: TaskRequest, details: RevokedDetails): Promise<void> {
    const reason = details.expired ? 'expired' : details.terminated ? 'terminated' : 'revoked';
    await this.store(request, 'REVOKED', toWireException(new TaskCancelledError(reason)), null).catch(
      () => undefined,
    );
    this.#emit('taskRevoked', { id: request.id, name: request.name, request }, details);
    this.#deps.logger.info({ taskId: request.id }, `Task ${request.name}[${request.id}] ${reason}`);
  }

  rejected(ref: TaskRef, requeue: boolean, why: string): void {
    this.#emit('taskRejected', ref, requeue);
    this.#deps.logger.warn(
      ref.id ? { taskId: ref.id } : {},
      ref.id ? `Task ${ref.name ?? '?'}[${ref.id}] ${why}` : why,
    );
  }

  /** A running task's progress, for monitors (no result message: Celery's backend has no such state). */
  progress(request: TaskRequest, progress: Progress): void {
    this.#emit('taskProgress', request, progress);
  }

  /** A running task's output, for monitors. */
  output(request: TaskRequest, chunk: LogChunk): void {
    this.#emit('taskLog', request, chunk);
  }

  /** Publishes a state; a channel lost meanwhile is waited for (the worker reconnects) and tried again. */
  async store(target: ResultTarget, state: ResultState, result: unknown, traceback: string | null = null) {
    if (!target.replyTo || target.ignoreResult) return;
    for (let attempt = 1; ; attempt++) {
      const channel = await this.#deps.channel();
      try {
        await storeResult(channel, target, state, result, traceback);
        return;
      } catch (error) {
        if (!channel.closed || attempt >= STORE_ATTEMPTS) throw error;
      }
    }
  }

  #emit<K extends Exclude<keyof WorkerEventSink, 'connected' | 'close'>>(
    method: K,
    ...args: Parameters<NonNullable<WorkerEventSink[K]>>
  ): void {
    emitEvent(
      this.#deps.events,
      method,
      (error) => this.#deps.logger.warn(`An event sink failed: ${messageOf(error)}`),
      ...args,
    );
  }
}

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15 };

/** A signal's number from its name ('SIGTERM', 'TERM') or number ('15'); null when unknown. */
export function signalNumber(signal: string): number | null {
  if (/^\d+$/.test(signal)) return Number(signal);
  return SIGNALS[signal.toUpperCase().replace(/^SIG/, '')] ?? null;
}
