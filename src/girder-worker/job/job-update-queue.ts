import { messageOf } from '../../core/errors.js';
import { redact } from '../../core/secrets.js';
import { GirderHttpError } from '../../girder/errors.js';
import type { GirderClient } from '../../girder/girder-client.js';
import type { QueryValue } from '../../girder/http/girder-http.js';
import { specMethod, type JobInfoSpec } from './job-info-spec.js';
import { logLine } from './job-log.js';
import { JobStatus, planTransitions, statusName } from './job-status.js';

export interface ProgressFields {
  progressTotal?: number | undefined;
  progressCurrent?: number | undefined;
  progressMessage?: string | undefined;
}

type Op =
  | { kind: 'fields'; log: string; progress: ProgressFields | undefined }
  | { kind: 'status'; targets: readonly number[] };

export interface JobUpdateQueueOptions {
  spec: JobInfoSpec;
  client: GirderClient;
  /** Told once, the first time an update fails (later failures are silent; updates go on). */
  warn(message: string): void;
}

/** Text kept for a later update while Girder refuses updates: about Girder's own log limit. */
const MAX_CARRIED = 4 * 1024 * 1024;
/** Re-plans after Girder refused a step (someone else moved the job meanwhile). */
const MAX_REPLANS = 3;

/**
 * The one way updates reach a Girder job: strictly in order, one request at a time. Log text and
 * progress not yet sent merge into one update (a slow Girder gets fewer, larger requests); a
 * status change goes through the transitions Girder allows, and a refused one (400) is checked
 * against the job's real status, as Girder Worker does. Nothing here ever throws at the task: a
 * failed update is reported once through `warn`, and its log text rides on the next update.
 */
export class JobUpdateQueue {
  /** The job's status as far as this queue knows; null until one was set or read. */
  status: number | null = null;
  /** The statuses this queue set, in order (what it believes Girder went through). */
  readonly history: number[] = [];
  readonly #options: JobUpdateQueueOptions;
  readonly #ops: Op[] = [];
  readonly #idle = new Set<() => void>();
  #draining = false;
  #carried = '';
  #warned = false;

  constructor(options: JobUpdateQueueOptions) {
    this.#options = options;
  }

  /** Appends log text and sets progress (merged with updates not sent yet). */
  send(log: string, progress?: ProgressFields): void {
    if (!log && !progress) return;
    const last = this.#ops.at(-1);
    if (last?.kind === 'fields') {
      last.log += log;
      if (progress) last.progress = { ...last.progress, ...progress };
    } else {
      this.#ops.push({ kind: 'fields', log, progress });
    }
    this.#kick();
  }

  /**
   * Moves the job to the first of `targets` that Girder allows from where it is, through
   * intermediate statuses when needed (FETCHING_INPUT → RUNNING → CANCELED). Falling back to a
   * later target says why in the log.
   */
  moveTo(...targets: number[]): void {
    this.#ops.push({ kind: 'status', targets });
    this.#kick();
  }

  /** Resolves once every update queued so far has been sent (or has failed). */
  idle(): Promise<void> {
    if (!this.#draining && this.#ops.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  #kick(): void {
    if (this.#draining) return;
    this.#draining = true;
    void this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      for (let op = this.#ops.shift(); op; op = this.#ops.shift()) {
        if (op.kind === 'fields') await this.#sendFields(op.log, op.progress);
        else await this.#move(op.targets);
      }
    } finally {
      this.#draining = false;
      for (const resolve of this.#idle) resolve();
      this.#idle.clear();
    }
  }

  async #sendFields(log: string, progress: ProgressFields | undefined): Promise<boolean> {
    const text = this.#carried + log;
    this.#carried = '';
    const fields: Record<string, QueryValue> = { ...progress };
    if (text) fields.log = text;
    try {
      await this.#request(fields, 'append to the log of');
      return true;
    } catch (error) {
      this.#failed(error);
      this.#carried = text.length > MAX_CARRIED ? text.slice(-MAX_CARRIED) : text;
      return false;
    }
  }

  async #move(targets: readonly number[]): Promise<void> {
    for (let replans = 0; replans <= MAX_REPLANS; replans++) {
      const from = this.status;
      const choice = this.#choose(targets);
      if (!choice) {
        // While Girder cancels the job, the task's later phases are of no interest: it is stopping.
        if (from === JobStatus.CANCELING) return;
        await this.#note(
          `The job stays ${from === null ? 'as it is' : statusName(from)}: Girder allows no ` +
            `${targets.map(statusName).join(' nor ')} from there`,
        );
        return;
      }
      if (choice.target !== targets[0] && from !== null) {
        await this.#note(
          `Girder allows no ${statusName(targets[0]!)} from ${statusName(from)}: ` +
            `the job ends ${statusName(choice.target)}`,
        );
      }
      let refused = false;
      for (const step of choice.path) {
        const result = await this.#setStatus(step);
        if (result === 'failed') return;
        if (result === 'refused') {
          refused = true;
          break;
        }
      }
      if (!refused) return;
    }
  }

  #choose(targets: readonly number[]): { target: number; path: number[] } | undefined {
    for (const target of targets) {
      const path = planTransitions(this.status, target);
      if (path) return { target, path };
    }
    return undefined;
  }

  /** One status change; a refusal (400 on `status`) re-reads the job's status. */
  async #setStatus(status: number): Promise<'ok' | 'refused' | 'failed'> {
    try {
      await this.#request({ status }, 'set the status of');
      this.#record(status);
      return 'ok';
    } catch (error) {
      if (!(error instanceof GirderHttpError) || error.status !== 400) {
        this.#failed(error);
        return 'failed';
      }
    }
    const actual = await this.#readStatus();
    if (actual === undefined) return 'failed';
    if (actual === status) {
      this.#record(status);
      return 'ok';
    }
    this.status = actual;
    // CANCELING: Girder is cancelling the job (its revoke stops the task); anything else, someone
    // moved the job meanwhile. Either way the next step is planned from where it really is.
    if (actual !== JobStatus.CANCELING) {
      await this.#note(`Girder refused ${statusName(status)}: the job is ${statusName(actual)}`);
    }
    return 'refused';
  }

  async #readStatus(): Promise<number | undefined> {
    const { spec, client } = this.#options;
    try {
      const response = await client.requestUrl<{ status?: unknown }>('GET', spec.url, {
        headers: spec.headers,
        action: `read job ${spec.reference ?? ''}`.trim(),
      });
      const status = response.data?.status;
      if (typeof status === 'number') return status;
      this.#failed(new Error('the job document holds no status'));
    } catch (error) {
      this.#failed(error);
    }
    return undefined;
  }

  #record(status: number): void {
    this.status = status;
    this.history.push(status);
  }

  /** A line of the worker's own in the log, sent at once (before the status change it explains). */
  async #note(message: string): Promise<void> {
    await this.#sendFields(logLine('INFO', message), undefined);
  }

  async #request(fields: Record<string, QueryValue>, what: string): Promise<void> {
    const { spec, client } = this.#options;
    await client.requestUrl(specMethod(spec), spec.url, {
      form: fields,
      headers: spec.headers,
      action: `${what} job ${spec.reference ?? ''}`.trim(),
    });
  }

  #failed(error: unknown): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#options.warn(
      redact(
        `Could not update Girder job ${this.#options.spec.reference ?? this.#options.spec.url}: ${messageOf(error)}`,
      ) + ' (the task goes on; later updates are still tried)',
    );
  }
}
