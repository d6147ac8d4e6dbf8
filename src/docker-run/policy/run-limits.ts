import { PolicyError } from '../../core/errors.js';
import type { Reporter } from '../../execution/reporter.js';
import type { WorkerPolicy } from './policy-schema.js';

/**
 * The limits the worker enforces while a container runs: its run time and the bytes of output
 * it may print. Reaching one aborts `signal` (the container is stopped as on a cancel) with a
 * PolicyError naming the limit, which the task then fails with.
 */
export class RunLimits {
  readonly signal: AbortSignal;
  readonly reporter: Reporter;
  readonly #controller = new AbortController();
  readonly #limits: WorkerPolicy['limits'];
  #outputBytes = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(limits: WorkerPolicy['limits'], outer: AbortSignal, reporter: Reporter) {
    this.#limits = limits;
    this.signal = AbortSignal.any([outer, this.#controller.signal]);
    const maxOutput = limits.outputBytes;
    this.reporter =
      maxOutput === undefined
        ? reporter
        : {
            status: (state) => reporter.status(state),
            progress: (progress) => reporter.progress(progress),
            pull: (progress) => reporter.pull(progress),
            warning: (message) => reporter.warning(message),
            phase: (phase) => reporter.phase(phase),
            log: (chunk) => {
              if (this.#controller.signal.aborted) return;
              this.#outputBytes += Buffer.byteLength(chunk.text);
              if (this.#outputBytes <= maxOutput) {
                reporter.log(chunk);
                return;
              }
              this.#stop(
                new PolicyError(
                  'limits.outputBytes',
                  maxOutput,
                  `the container printed more than ${maxOutput} bytes`,
                  {
                    stopped: true,
                  },
                ),
              );
            },
          };
  }

  /** Why the limits stopped the task, if they did. */
  get reason(): PolicyError | undefined {
    const reason: unknown = this.#controller.signal.reason;
    return this.#controller.signal.aborted && reason instanceof PolicyError ? reason : undefined;
  }

  /** The container starts now: its run time counts from here. */
  containerStarting(): void {
    const seconds = this.#limits.runSeconds;
    if (seconds === undefined || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#stop(
        new PolicyError('limits.runSeconds', seconds, `the container ran longer than ${seconds} s`, {
          stopped: true,
        }),
      );
    }, seconds * 1000);
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }

  #stop(error: PolicyError): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(error);
  }
}
