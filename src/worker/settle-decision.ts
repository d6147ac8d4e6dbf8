import type { Retry } from '../celery/errors.js';
import type { RevokedDetails } from '../celery/events/event-sink.js';
import { signalNumber } from './outcome-reporter.js';
import type { RequestState } from './request-book.js';
import type { RunOutcome } from './run-request.js';

// What the worker does with each task message, as plain decisions on plain facts: the pipeline
// (task-pipeline.ts) gathers the facts from the message, its request book, the revoked set and
// the clock, asks here, then reports and settles the delivery as told. Acks are late: a message
// is acknowledged once its outcome is reported, so that a task whose worker dies comes again.

/** How a delivery ends: acknowledged (done with) or given back to its queue. */
export type Settlement = 'ack' | 'requeue';

/** A message that is no readable task. Never requeued: it would only fail again. */
export type UnreadableDecision =
  /** It still names a task id: FAILURE for that id (its client is told why). */
  | { kind: 'fail'; settle: 'ack' }
  /** No id, nobody to tell: a task-rejected event (not requeued), and the message is dropped. */
  | { kind: 'drop'; settle: 'ack' };

export function decideUnreadable(namesATask: boolean): UnreadableDecision {
  return namesATask ? { kind: 'fail', settle: 'ack' } : { kind: 'drop', settle: 'ack' };
}

export interface ArrivalFacts {
  /** The same attempt (id and retries) was running here, delivered on another channel (it is over now). */
  ranOnOtherChannel: boolean;
  /** The broker marks this delivery as delivered before. */
  redelivered: boolean;
  /** This attempt ended here while its channel was lost, so that its ack could not be sent. */
  doneOnLostChannel: boolean;
  /** A task of this name is registered. */
  registered: boolean;
  /** Its id is in the revoked set. */
  revoked: boolean;
  /** Its expiry, ms since the epoch. */
  expires: number | undefined;
  /** Its ETA, ms since the epoch. */
  eta: number | undefined;
  now: number;
}

export type ArrivalDecision =
  /** Already run here (after a reconnect): not run again, nothing reported; this copy is acked. */
  | { kind: 'already-run'; settle: 'ack' }
  /** No such task: FAILURE with NotRegistered. */
  | { kind: 'not-registered'; settle: 'ack' }
  /** Revoked or expired before it ran: REVOKED (the reason is 'expired' when expired). */
  | { kind: 'revoked'; expired: boolean; settle: 'ack' }
  /** Held until its ETA, then waits for a slot (settled when it has run). */
  | { kind: 'schedule'; eta: number }
  /** Waits for a free slot (settled when it has run). */
  | { kind: 'reserve' };

/** A task message, read: in this order, already run here, unknown, revoked or expired, held, or queued. */
export function decideArrival(facts: ArrivalFacts): ArrivalDecision {
  if (facts.ranOnOtherChannel || (facts.redelivered && facts.doneOnLostChannel)) {
    return { kind: 'already-run', settle: 'ack' };
  }
  if (!facts.registered) return { kind: 'not-registered', settle: 'ack' };
  const dropped = revokedOrExpired(facts);
  if (dropped) return { kind: 'revoked', expired: dropped.expired, settle: 'ack' };
  if (facts.eta !== undefined && facts.eta > facts.now) return { kind: 'schedule', eta: facts.eta };
  return { kind: 'reserve' };
}

/** Whether a task must not run (any more): revoked by id, or past its expiry (which takes precedence). */
export function revokedOrExpired(facts: {
  revoked: boolean;
  expires: number | undefined;
  now: number;
}): { expired: boolean } | undefined {
  const expired = facts.expires !== undefined && facts.expires <= facts.now;
  return expired || facts.revoked ? { expired } : undefined;
}

export type BeforeRunDecision =
  /** Revoked or expired while it waited: REVOKED, acked, not run. */
  | { kind: 'revoked'; expired: boolean; settle: 'ack' }
  /** Runs; a redelivered one first clears what an earlier attempt (a dead worker's) left. */
  | { kind: 'run'; clearLeftovers: boolean };

/** A task whose slot came up. */
export function decideBeforeRun(facts: {
  revoked: boolean;
  expires: number | undefined;
  now: number;
  redelivered: boolean;
}): BeforeRunDecision {
  const dropped = revokedOrExpired(facts);
  if (dropped) return { kind: 'revoked', expired: dropped.expired, settle: 'ack' };
  return { kind: 'run', clearLeftovers: facts.redelivered };
}

export type AfterRunDecision =
  | { kind: 'succeeded'; value: unknown; settle: 'ack' }
  | { kind: 'failed'; error: unknown; settle: 'ack' }
  /** Sent again with retries + 1 (RETRY reported); this delivery is acked. */
  | { kind: 'retry'; retry: Retry; settle: 'ack' }
  /** No retries left: FAILURE, with the retry's cause or MaxRetriesExceeded. */
  | { kind: 'retries-exhausted'; retry: Retry; settle: 'ack' }
  /** Stopped by a revoke with terminate: REVOKED, terminated, with the signal's number. */
  | { kind: 'revoked'; details: RevokedDetails; settle: 'ack' }
  /** Stopped by the worker's shutdown: rejected with requeue, given back to its queue. */
  | { kind: 'requeue'; settle: 'requeue' };

/** A task that ran, by how it ended and how many times it had been retried before. */
export function decideAfterRun(outcome: RunOutcome, retries: number): AfterRunDecision {
  switch (outcome.kind) {
    case 'success':
      return { kind: 'succeeded', value: outcome.value, settle: 'ack' };
    case 'failure':
      return { kind: 'failed', error: outcome.error, settle: 'ack' };
    case 'retry':
      return retries >= outcome.retry.maxRetries
        ? { kind: 'retries-exhausted', retry: outcome.retry, settle: 'ack' }
        : { kind: 'retry', retry: outcome.retry, settle: 'ack' };
    case 'revoked':
      return {
        kind: 'revoked',
        details: { terminated: true, signum: signalNumber(outcome.signal), expired: false },
        settle: 'ack',
      };
    case 'shutdown':
      return { kind: 'requeue', settle: 'requeue' };
  }
}

export type RevokeAction =
  /** Not running yet: dropped now (REVOKED, acked), never runs. */
  | { kind: 'drop' }
  /** Running, and being stopped already, or a task a plain revoke does not stop: left as it is. */
  | { kind: 'none' }
  /** revoke with terminate: stopped with the signal asked for; SIGKILL kills its containers at once. */
  | { kind: 'terminate'; signal: string; killNow: boolean }
  /** A plain revoke of a task that stops on any revoke (a docker_run with a Girder job): SIGTERM. */
  | { kind: 'stop'; signal: 'SIGTERM' };

/** A revoke, for one request the worker holds. */
export function decideRevoke(facts: {
  state: RequestState;
  /** Its stop was asked for already (its abort signal fired). */
  stopping: boolean;
  terminate: boolean;
  signal: string;
  stopsOnRevoke: boolean;
}): RevokeAction {
  if (facts.state !== 'active') return { kind: 'drop' };
  if (facts.stopping) return { kind: 'none' };
  if (facts.terminate) {
    return { kind: 'terminate', signal: facts.signal, killNow: /^(SIG)?KILL$|^9$/i.test(facts.signal) };
  }
  if (facts.stopsOnRevoke) return { kind: 'stop', signal: 'SIGTERM' };
  return { kind: 'none' };
}

/** One attempt of a task: a retry is the same id with the next retries count. */
export function attemptKey(id: string, retries: number): string {
  return `${id}:${retries}`;
}

/** The attempt a delivered message's headers name; undefined when they name no task id. */
export function attemptKeyOfHeaders(headers: Record<string, unknown>): string | undefined {
  const { id, retries } = headers;
  if (typeof id !== 'string') return undefined;
  return attemptKey(id, typeof retries === 'number' ? retries : 0);
}

/**
 * Attempts that ended while their channel was lost (no ack could be sent): the broker delivers
 * them again, and the copy must not run again. Bounded: the oldest go past `limit` entries or
 * `maxAgeMs`.
 */
export class DoneOnLostChannel {
  readonly #at = new Map<string, number>();
  readonly #limit: number;
  readonly #maxAgeMs: number;

  constructor(limit = 10_000, maxAgeMs = 3_600_000) {
    this.#limit = limit;
    this.#maxAgeMs = maxAgeMs;
  }

  get size(): number {
    return this.#at.size;
  }

  remember(key: string, now: number): void {
    this.#at.set(key, now);
    for (const [old, at] of this.#at) {
      if (this.#at.size <= this.#limit && now - at < this.#maxAgeMs) break;
      this.#at.delete(old);
    }
  }

  has(key: string): boolean {
    return this.#at.has(key);
  }

  forget(key: string): void {
    this.#at.delete(key);
  }
}
