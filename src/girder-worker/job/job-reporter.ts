import { messageOf } from '../../core/errors.js';
import { redact, registerSecret } from '../../core/secrets.js';
import type { LogChunk, Progress, PullProgress, Reporter, TaskPhase } from '../../execution/reporter.js';
import type { TaskState } from '../../execution/task-state.js';
import type { GirderClient } from '../../girder/girder-client.js';
import { jobUpdateClient, specJobId, type JobInfoSpec } from './job-info-spec.js';
import { describeError, logLine } from './job-log.js';
import { JobStatus } from './job-status.js';
import { JobUpdateQueue, type ProgressFields } from './job-update-queue.js';

/** How a task followed by a job ended, for the job's last status. */
export type JobOutcome =
  | { kind: 'success' }
  | { kind: 'failure'; error: unknown }
  | { kind: 'cancelled'; reason?: unknown }
  /** The task stopped without an outcome and will run again (its worker shut down): the job stays. */
  | { kind: 'interrupted'; reason: string };

export interface GirderJobReporterOptions {
  spec: JobInfoSpec;
  /** Default: a client for the spec's URL, with few retries. */
  client?: GirderClient;
  /** Log and progress go out at most this often (default 500 ms, Girder Worker's interval). */
  intervalMs?: number;
  /** The task's image, named in the log when the container is about to run. */
  image?: string;
  /** Where a failing job update is reported (once); default: stderr. */
  warn?: (message: string) => void;
}

const DEFAULT_INTERVAL_MS = 500;

/**
 * A Reporter that keeps a Girder job in step with its task, as Girder Worker's JobManager and
 * signal handlers do: RUNNING at `start()`, FETCHING_INPUT / RUNNING / PUSHING_OUTPUT with the
 * task's phases, SUCCESS, ERROR (the error in the log) or CANCELED at `end()`. The container's
 * output, warnings and the worker's own lines go to the job's log, and progress to its
 * progress fields, in batches: at most every `intervalMs`, and always before a status change and
 * at the end. A job update that fails never fails the task.
 */
export class GirderJobReporter implements Reporter {
  readonly jobId: string | undefined;
  readonly #queue: JobUpdateQueue;
  readonly #intervalMs: number;
  readonly #image: string | undefined;
  readonly #logPrint: boolean;
  #text = '';
  #progress: ProgressFields | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastSent = 0;
  #announced = false;
  #started = false;
  readonly #pulling = new Set<string>();
  #ended = false;
  #closing: Promise<void> | undefined;

  constructor(options: GirderJobReporterOptions) {
    this.jobId = specJobId(options.spec);
    // The job token must never reach a log, this job's included.
    for (const value of Object.values(options.spec.headers ?? {})) registerSecret(value);
    this.#intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.#image = options.image;
    this.#logPrint = options.spec.logPrint !== false;
    const warn = options.warn ?? ((message: string) => process.stderr.write(`longshore: ${message}\n`));
    this.#queue = new JobUpdateQueue({
      spec: options.spec,
      client: options.client ?? jobUpdateClient(options.spec),
      warn,
    });
  }

  /** The statuses this reporter set on the job, in order. */
  get statusHistory(): readonly number[] {
    return this.#queue.history;
  }

  /** The job's status as far as this reporter knows (null before the first update). */
  get jobStatus(): number | null {
    return this.#queue.status;
  }

  /** The task starts: the job goes RUNNING (once). */
  start(): void {
    if (this.#started || this.#closing) return;
    this.#started = true;
    this.#changeStatus(JobStatus.RUNNING);
  }

  /** STARTED starts the job; Celery's other states are the caller's business (see `end`). */
  status(state: TaskState): void {
    if (state === 'STARTED') this.start();
  }

  log(chunk: LogChunk): void {
    if (this.#logPrint) this.#append(chunk.text);
  }

  progress(progress: Progress): void {
    if (this.#closing) return;
    const fields: ProgressFields = {};
    if (progress.total !== undefined) fields.progressTotal = progress.total;
    if (progress.current !== undefined) fields.progressCurrent = progress.current;
    if (progress.message !== undefined) fields.progressMessage = progress.message;
    this.#progress = { ...this.#progress, ...fields };
    this.#schedule();
  }

  pull(progress: PullProgress): void {
    if (this.#pulling.has(progress.image)) return;
    this.#pulling.add(progress.image);
    this.info(`Pulling image: ${progress.image}`);
  }

  warning(message: string): void {
    this.#append(logLine('WARNING', message));
  }

  /** A line of the worker's own in the job log (`[time] INFO: ...`). */
  info(message: string): void {
    this.#append(logLine('INFO', message));
  }

  phase(phase: TaskPhase): void {
    if (this.#closing) return;
    switch (phase) {
      case 'fetching-input':
        this.#changeStatus(JobStatus.FETCHING_INPUT);
        break;
      case 'running':
        if (!this.#announced && this.#image) this.info(`Running container: ${this.#image}`);
        this.#announced = true;
        this.#changeStatus(JobStatus.RUNNING);
        break;
      case 'pushing-output':
        this.#changeStatus(JobStatus.PUSHING_OUTPUT);
        break;
    }
  }

  /**
   * The task ended: the job's last status (SUCCESS; ERROR with the error in the log; CANCELED,
   * reached from wherever the job is, or ERROR when Girder allows no CANCELED from there), then
   * everything is sent. Only the first call counts; resolves once the updates went out.
   */
  end(outcome: JobOutcome): Promise<void> {
    if (!this.#ended && !this.#closing) {
      this.#ended = true;
      switch (outcome.kind) {
        case 'success':
          // A job Girder is cancelling (CANCELING) cannot succeed: it ends CANCELED, as in Girder Worker.
          this.#changeStatus(JobStatus.SUCCESS, JobStatus.CANCELED, JobStatus.ERROR);
          break;
        case 'failure':
          this.#append(logLine('ERROR', describeError(outcome.error)));
          this.#changeStatus(JobStatus.ERROR);
          break;
        case 'cancelled':
          this.info(
            outcome.reason === undefined
              ? 'The task was cancelled'
              : `The task was cancelled: ${messageOf(outcome.reason)}`,
          );
          this.#changeStatus(JobStatus.CANCELED, JobStatus.ERROR);
          break;
        case 'interrupted':
          this.info(`The task stopped and will run again: ${outcome.reason}`);
          break;
      }
    }
    return this.close();
  }

  /** Sends everything not sent yet and waits for it. Idempotent; later reports are dropped. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#flush();
      await this.#queue.idle();
    })();
    return this.#closing;
  }

  #append(text: string): void {
    if (this.#closing || !text) return;
    this.#text += text;
    this.#schedule();
  }

  #changeStatus(...targets: number[]): void {
    this.#flush();
    this.#queue.moveTo(...targets);
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastSent + this.#intervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, wait);
    this.#timer.unref();
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#text && !this.#progress) return;
    // Masked as a whole batch, so that a token split across two writes of the container is caught.
    this.#queue.send(redact(this.#text), this.#progress);
    this.#text = '';
    this.#progress = undefined;
    this.#lastSent = Date.now();
  }
}
