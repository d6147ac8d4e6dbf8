// The worker's decisions on each task message, on plain facts: what is acknowledged, given back or
// dropped, and when (no broker here: the pipeline that carries them out is tested in test/celery).
import { describe, expect, it } from 'vitest';
import { Retry } from '../celery/errors.js';
import {
  DoneOnLostChannel,
  attemptKeyOfHeaders,
  decideAfterRun,
  decideArrival,
  decideBeforeRun,
  decideRevoke,
  decideUnreadable,
  type ArrivalFacts,
} from './settle-decision.js';

const NOW = 1_700_000_000_000;

/** A first delivery of a known task, not revoked, without expiry or ETA. */
function arrival(facts: Partial<ArrivalFacts> = {}): ArrivalFacts {
  return {
    ranOnOtherChannel: false,
    redelivered: false,
    doneOnLostChannel: false,
    registered: true,
    revoked: false,
    expires: undefined,
    eta: undefined,
    now: NOW,
    ...facts,
  };
}

describe('a message that cannot be read as a task', () => {
  it('fails the task it names, and is acknowledged', () => {
    expect(decideUnreadable(true)).toEqual({ kind: 'fail', settle: 'ack' });
  });

  it('is dropped, acknowledged, when it names no task', () => {
    expect(decideUnreadable(false)).toEqual({ kind: 'drop', settle: 'ack' });
  });
});

describe('a task message as it arrives', () => {
  it('waits for a free slot', () => {
    expect(decideArrival(arrival())).toEqual({ kind: 'reserve' });
  });

  it('is acknowledged without running when the same attempt ran here on another channel', () => {
    expect(decideArrival(arrival({ ranOnOtherChannel: true }))).toEqual({
      kind: 'already-run',
      settle: 'ack',
    });
  });

  it('is acknowledged without running when redelivered after it ended here on a lost channel', () => {
    expect(decideArrival(arrival({ redelivered: true, doneOnLostChannel: true }))).toEqual({
      kind: 'already-run',
      settle: 'ack',
    });
  });

  it('runs when redelivered but not run here (a dead worker had it)', () => {
    expect(decideArrival(arrival({ redelivered: true }))).toEqual({ kind: 'reserve' });
  });

  it('runs when not redelivered, even if an attempt of that key ended here on a lost channel', () => {
    expect(decideArrival(arrival({ doneOnLostChannel: true }))).toEqual({ kind: 'reserve' });
  });

  it('fails, acknowledged, when its task is not registered', () => {
    expect(decideArrival(arrival({ registered: false }))).toEqual({ kind: 'not-registered', settle: 'ack' });
  });

  it('fails as not registered even when revoked too', () => {
    expect(decideArrival(arrival({ registered: false, revoked: true }))).toEqual({
      kind: 'not-registered',
      settle: 'ack',
    });
  });

  it('is REVOKED, acknowledged, when its id was revoked', () => {
    expect(decideArrival(arrival({ revoked: true }))).toEqual({
      kind: 'revoked',
      expired: false,
      settle: 'ack',
    });
  });

  it('is REVOKED as expired, acknowledged, from the moment of its expiry', () => {
    expect(decideArrival(arrival({ expires: NOW }))).toEqual({
      kind: 'revoked',
      expired: true,
      settle: 'ack',
    });
  });

  it('is expired rather than revoked when both', () => {
    expect(decideArrival(arrival({ revoked: true, expires: NOW - 1 }))).toEqual({
      kind: 'revoked',
      expired: true,
      settle: 'ack',
    });
  });

  it('runs when its expiry is still ahead', () => {
    expect(decideArrival(arrival({ expires: NOW + 1 }))).toEqual({ kind: 'reserve' });
  });

  it('is held until an ETA ahead', () => {
    expect(decideArrival(arrival({ eta: NOW + 1 }))).toEqual({ kind: 'schedule', eta: NOW + 1 });
  });

  it('waits for a slot at once when its ETA has come', () => {
    expect(decideArrival(arrival({ eta: NOW }))).toEqual({ kind: 'reserve' });
  });

  it('is REVOKED, not held, when revoked with an ETA ahead', () => {
    expect(decideArrival(arrival({ revoked: true, eta: NOW + 60_000 }))).toEqual({
      kind: 'revoked',
      expired: false,
      settle: 'ack',
    });
  });
});

describe('a task whose slot came up', () => {
  const waited = { revoked: false, expires: undefined, now: NOW, redelivered: false };

  it('runs', () => {
    expect(decideBeforeRun(waited)).toEqual({ kind: 'run', clearLeftovers: false });
  });

  it('runs after clearing what an earlier attempt left when redelivered', () => {
    expect(decideBeforeRun({ ...waited, redelivered: true })).toEqual({ kind: 'run', clearLeftovers: true });
  });

  it('is REVOKED, acknowledged, when revoked while it waited', () => {
    expect(decideBeforeRun({ ...waited, revoked: true })).toEqual({
      kind: 'revoked',
      expired: false,
      settle: 'ack',
    });
  });

  it('is REVOKED as expired, acknowledged, when it expired while it waited', () => {
    expect(decideBeforeRun({ ...waited, expires: NOW - 1, redelivered: true })).toEqual({
      kind: 'revoked',
      expired: true,
      settle: 'ack',
    });
  });
});

describe('a task that ran', () => {
  it('is acknowledged after a success, with its value', () => {
    expect(decideAfterRun({ kind: 'success', value: 5 }, 0)).toEqual({
      kind: 'succeeded',
      value: 5,
      settle: 'ack',
    });
  });

  it('is acknowledged after a failure, with its error', () => {
    const error = new Error('boom');
    expect(decideAfterRun({ kind: 'failure', error }, 0)).toEqual({ kind: 'failed', error, settle: 'ack' });
  });

  it('is sent again and acknowledged when it asks for a retry it has left', () => {
    const retry = new Retry({ maxRetries: 3 });
    expect(decideAfterRun({ kind: 'retry', retry }, 2)).toEqual({ kind: 'retry', retry, settle: 'ack' });
  });

  it('fails, acknowledged, when it asks for a retry past maxRetries', () => {
    const retry = new Retry({ maxRetries: 3 });
    expect(decideAfterRun({ kind: 'retry', retry }, 3)).toEqual({
      kind: 'retries-exhausted',
      retry,
      settle: 'ack',
    });
  });

  it('is REVOKED as terminated, with the signal number, acknowledged, when a revoke stopped it', () => {
    expect(decideAfterRun({ kind: 'revoked', signal: 'SIGKILL' }, 0)).toEqual({
      kind: 'revoked',
      details: { terminated: true, signum: 9, expired: false },
      settle: 'ack',
    });
  });

  it('reports no signal number for a signal it does not know', () => {
    expect(decideAfterRun({ kind: 'revoked', signal: 'SIGFOO' }, 0)).toEqual({
      kind: 'revoked',
      details: { terminated: true, signum: null, expired: false },
      settle: 'ack',
    });
  });

  it('goes back to its queue when the shutdown stopped it', () => {
    expect(decideAfterRun({ kind: 'shutdown' }, 0)).toEqual({ kind: 'requeue', settle: 'requeue' });
  });
});

describe('a revoke, for a request the worker holds', () => {
  const running = {
    state: 'active' as const,
    stopping: false,
    terminate: false,
    signal: 'SIGTERM',
    stopsOnRevoke: false,
  };

  it('drops a task held for its ETA', () => {
    expect(decideRevoke({ ...running, state: 'scheduled' })).toEqual({ kind: 'drop' });
  });

  it('drops a task waiting for a slot, terminate or not', () => {
    expect(decideRevoke({ ...running, state: 'reserved', terminate: true })).toEqual({ kind: 'drop' });
  });

  it('leaves a running task alone without terminate', () => {
    expect(decideRevoke(running)).toEqual({ kind: 'none' });
  });

  it('leaves a running task alone that is being stopped already', () => {
    expect(decideRevoke({ ...running, stopping: true, terminate: true, stopsOnRevoke: true })).toEqual({
      kind: 'none',
    });
  });

  it('terminates a running task with the signal asked for', () => {
    expect(decideRevoke({ ...running, terminate: true })).toEqual({
      kind: 'terminate',
      signal: 'SIGTERM',
      killNow: false,
    });
  });

  it('kills the containers at once on terminate with SIGKILL, KILL or 9', () => {
    for (const signal of ['SIGKILL', 'kill', '9']) {
      expect(decideRevoke({ ...running, terminate: true, signal })).toEqual({
        kind: 'terminate',
        signal,
        killNow: true,
      });
    }
  });

  it('stops with SIGTERM a running task that stops on any revoke', () => {
    expect(decideRevoke({ ...running, signal: 'SIGKILL', stopsOnRevoke: true })).toEqual({
      kind: 'stop',
      signal: 'SIGTERM',
    });
  });
});

describe('the attempt a message names', () => {
  it('is its id and retries', () => {
    expect(attemptKeyOfHeaders({ id: 'a1', retries: 2 })).toBe('a1:2');
  });

  it('counts retries as 0 when they are missing or not a number', () => {
    expect([attemptKeyOfHeaders({ id: 'a1' }), attemptKeyOfHeaders({ id: 'a1', retries: '2' })]).toEqual([
      'a1:0',
      'a1:0',
    ]);
  });

  it('is none without a string id', () => {
    expect([attemptKeyOfHeaders({}), attemptKeyOfHeaders({ id: 7, retries: 0 })]).toEqual([
      undefined,
      undefined,
    ]);
  });
});

describe('attempts that ended on a lost channel', () => {
  it('are remembered until forgotten', () => {
    const done = new DoneOnLostChannel();
    done.remember('a:0', NOW);
    expect([done.has('a:0'), done.has('a:1')]).toEqual([true, false]);
    done.forget('a:0');
    expect(done.has('a:0')).toBe(false);
  });

  it('keep only the newest `limit`', () => {
    const done = new DoneOnLostChannel(2, 3_600_000);
    for (const key of ['a:0', 'b:0', 'c:0']) done.remember(key, NOW);
    expect([done.has('a:0'), done.has('b:0'), done.has('c:0'), done.size]).toEqual([false, true, true, 2]);
  });

  it('are forgotten after `maxAgeMs`, when a newer one is remembered', () => {
    const done = new DoneOnLostChannel(10, 1000);
    done.remember('old:0', NOW);
    done.remember('recent:0', NOW + 500);
    done.remember('new:0', NOW + 1000);
    expect([done.has('old:0'), done.has('recent:0'), done.has('new:0')]).toEqual([false, true, true]);
  });
});
