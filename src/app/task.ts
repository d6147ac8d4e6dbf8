import { randomUUID } from 'node:crypto';
import { getConfiguration } from '../config/configuration.js';
import { TaskCancelledError } from '../core/errors.js';
import type { Reporter } from '../execution/reporter.js';
import type { TaskFollower } from '../execution/task-follower.js';
import { sendTask, type WireCall } from './send-task.js';
import type { GirderConfig } from '../config/configuration.js';
import { EMPTY_EMBED } from '../celery/protocol/build-task-message.js';
import { clientGirderConnection } from '../girder/client-girder.js';
import { createGirderConnection } from '../girder/girder-connection.js';
import {
  encodeTaskBody,
  girderWorkerClasses,
  type PythonEncodeOptions,
} from '../girder-worker/classes/index.js';
import {
  parseApplyOptions,
  type ApplyOptions,
  type ParsedApplyOptions,
} from '../celery/client/apply-options.js';
import { TaskHandle } from '../execution/task-handle.js';

export type { ApplyOptions, ParsedApplyOptions } from '../celery/client/apply-options.js';

export interface TaskExecutionContext {
  taskId: string;
  signal: AbortSignal;
  reporter: Reporter;
  /** Celery's keyword arguments ({} when there are none). */
  kwargs: Record<string, unknown>;
  /** How often the task was retried before this run (0 on the first). */
  retries: number;
  /** The id of the Girder job that follows this run, if one does. */
  girderJobId?: string | undefined;
}

/**
 * A named unit of work. With no broker configured, `applyAsync` runs it in this process; with
 * one (`configure({ broker })` or LONGSHORE_BROKER_URL) it sends the call to a worker as a Celery
 * task message, and the handle follows the worker's results. The handle API is the same.
 */
export class Task<
  Args extends unknown[],
  Result,
  Kwargs extends Record<string, unknown> = Record<string, unknown>,
> {
  constructor(
    readonly name: string,
    readonly execute: (exec: TaskExecutionContext, ...args: Args) => Promise<Result>,
  ) {}

  /** Celery's `apply_async(args, kwargs, **options)`. */
  applyAsync(args: Args, kwargs?: Kwargs, options: ApplyOptions = {}): TaskHandle<Result> {
    return this.launch(args, kwargs, parseApplyOptions(options));
  }

  /** @internal Sends the call to a worker, or runs it here; `follower` follows it from the start. */
  protected launch(
    args: Args,
    kwargs: Kwargs | undefined,
    parsed: ParsedApplyOptions,
    follower?: TaskFollower,
  ): TaskHandle<Result> {
    const { broker, brokerTls, girder } = getConfiguration();
    const handle =
      broker && !parsed.inProcess
        ? sendTask<Result>(
            broker,
            this.name,
            {
              ...this.#wireCall(args, kwargs, girder),
              ...(follower ? { lateHeaders: follower.headers } : {}),
            },
            parsed,
            brokerTls,
          )
        : this.#runHere(args, kwargs, parsed, follower);
    if (follower) handle.followJob(follower.job);
    return handle;
  }

  delay(...args: Args): TaskHandle<Result> {
    return this.applyAsync(args);
  }

  /**
   * @internal The call as it goes on the wire (JSON values); tasks with richer arguments override
   * it. `encoding.girder` (the client's configured Girder) is the `gc` of Girder transforms that
   * have none.
   */
  toWire(args: Args, kwargs: Kwargs | undefined, encoding: PythonEncodeOptions = {}): WireCall {
    return withGirderBody({ args, kwargs: kwargs ?? {} }, encoding);
  }

  /**
   * The call with the client's Girder where a transform needs it. Only then is an API key
   * exchanged (the call is checked now and sent once the token is known), so that a task without
   * Girder transforms never waits for, or fails on, the configured Girder.
   */
  #wireCall(args: Args, kwargs: Kwargs | undefined, config: GirderConfig | undefined): WireCall {
    if (!config || !this.#takesClientGirder(args, kwargs)) return this.toWire(args, kwargs);
    const girder = clientGirderConnection(config);
    if (!(girder instanceof Promise)) return this.toWire(args, kwargs, { girder });
    return {
      ...this.toWire(args, kwargs),
      lateCall: girder.then((gc) => this.toWire(args, kwargs, { girder: gc })),
    };
  }

  /** A dry run of the encoding: does a Girder transform of the call lack a connection of its own? */
  #takesClientGirder(args: Args, kwargs: Kwargs | undefined): boolean {
    let taken = false;
    const onGirder = (): void => {
      taken = true;
    };
    const call = this.toWire(args, kwargs, { girder: PROBE, onGirder });
    call.encodeBody?.([call.args, call.kwargs, EMPTY_EMBED]);
    return taken;
  }

  #runHere(
    args: Args,
    kwargs: Kwargs | undefined,
    options: ParsedApplyOptions,
    follower: TaskFollower | undefined,
  ): TaskHandle<Result> {
    const taskId = options.taskId ?? randomUUID();
    const controller = new AbortController();
    const external = options.signal;
    if (external) {
      if (external.aborted) controller.abort(external.reason);
      else external.addEventListener('abort', () => controller.abort(external.reason), { once: true });
    }
    const run = async (reporter: Reporter, girderJobId?: string): Promise<Result> => {
      await waitUntilDue(options, controller.signal);
      if (!controller.signal.aborted && isExpired(options)) {
        controller.abort(new TaskCancelledError('The task expired before it started'));
      }
      if (controller.signal.aborted) {
        // Cancelled before it started, by any kind of reason: still a cancellation (REVOKED).
        const reason: unknown = controller.signal.reason;
        throw reason instanceof TaskCancelledError
          ? reason
          : new TaskCancelledError(undefined, { cause: reason });
      }
      reporter.status('STARTED');
      return this.execute(
        { taskId, signal: controller.signal, reporter, kwargs: kwargs ?? {}, retries: 0, girderJobId },
        ...args,
      );
    };
    return new TaskHandle<Result>(taskId, controller, async (reporter) => {
      // Let the caller attach listeners before the first event.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return follower ? follower.follow(run, reporter, controller.signal) : run(reporter);
    });
  }
}

/** Stands for the client's Girder in `#takesClientGirder`; never sent. */
const PROBE = createGirderConnection('http://probe.invalid/api/v1', null);

/** The call with a body encoder that gives Girder transforms without a `gc` the client's Girder. */
export function withGirderBody(call: WireCall, encoding: PythonEncodeOptions): WireCall {
  if (!encoding.girder) return call;
  return { ...call, encodeBody: (body) => encodeTaskBody(body, girderWorkerClasses, encoding) };
}

/** In this process, `countdown` / `eta` delay the start (a cancel ends the wait). */
function waitUntilDue(options: ParsedApplyOptions, signal: AbortSignal): Promise<void> {
  const ms = options.eta === undefined ? 0 : options.eta.getTime() - Date.now();
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function isExpired(options: ParsedApplyOptions): boolean {
  return options.expires !== undefined && options.expires.getTime() < Date.now();
}
