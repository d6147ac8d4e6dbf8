// Jobs as the jobs plugin (girder_jobs/models/job.py, constants.py) and girder_worker's Girder
// plugin (girder_plugin/status.py, event_handlers.py, utils.py) keep them: statuses, the allowed
// transitions per handler, log and progress updates, cancellation, and the jobInfoSpec that hands a
// worker its job token.
import { jobScope } from './auth.js';
import type { ServerState } from './context.js';
import { ValidationError } from './errors.js';
import { newObjectId } from './ids.js';
import { parsePythonInt } from './params.js';
import { AccessType } from './permissions.js';
import type { JobDoc, UserDoc } from './store.js';
import { createToken } from './token-model.js';

export const JobStatus = { INACTIVE: 0, QUEUED: 1, RUNNING: 2, SUCCESS: 3, ERROR: 4, CANCELED: 5 } as const;
export const CustomJobStatus = {
  FETCHING_INPUT: 820,
  CONVERTING_INPUT: 821,
  CONVERTING_OUTPUT: 822,
  PUSHING_OUTPUT: 823,
  CANCELING: 824,
} as const;

const { INACTIVE, QUEUED, RUNNING, SUCCESS, ERROR, CANCELED } = JobStatus;
const { FETCHING_INPUT, CONVERTING_INPUT, CONVERTING_OUTPUT, PUSHING_OUTPUT, CANCELING } = CustomJobStatus;

type Transitions = Readonly<Record<number, readonly number[]>>;

/** girder_jobs JobStatus.valid_transitions: target status -> statuses it may come from. */
const CORE_TRANSITIONS: Transitions = {
  [QUEUED]: [INACTIVE],
  [RUNNING]: [QUEUED, INACTIVE],
  [SUCCESS]: [RUNNING],
  [ERROR]: [QUEUED, RUNNING],
  [CANCELED]: [INACTIVE, QUEUED, RUNNING],
};

/** girder_worker girder_plugin/status.py CustomJobStatus.valid_worker_transitions ('worker_handler'). */
const WORKER_TRANSITIONS: Transitions = {
  [QUEUED]: [INACTIVE],
  [RUNNING]: [QUEUED, FETCHING_INPUT],
  [FETCHING_INPUT]: [RUNNING],
  [CONVERTING_INPUT]: [RUNNING, FETCHING_INPUT],
  [CONVERTING_OUTPUT]: [RUNNING],
  [PUSHING_OUTPUT]: [RUNNING, CONVERTING_OUTPUT],
  [CANCELING]: [INACTIVE, QUEUED, RUNNING],
  [ERROR]: [FETCHING_INPUT, CONVERTING_INPUT, CONVERTING_OUTPUT, PUSHING_OUTPUT, CANCELING, QUEUED, RUNNING],
  [CANCELED]: [CANCELING, QUEUED, RUNNING],
  [SUCCESS]: [RUNNING, PUSHING_OUTPUT],
};

/** Same file, valid_celery_transitions ('celery_handler'): a Celery task may go straight from INACTIVE to RUNNING. */
const CELERY_TRANSITIONS: Transitions = {
  ...WORKER_TRANSITIONS,
  [RUNNING]: [INACTIVE, QUEUED, FETCHING_INPUT],
  [CANCELED]: [CANCELING, INACTIVE, QUEUED, RUNNING],
};

/** JobStatus.isValid plus the worker plugin's jobs.status.validate handler. */
export function isValidStatus(status: number | string): boolean {
  return (
    typeof status === 'number' &&
    (Object.values(JobStatus) as number[]).concat(Object.values(CustomJobStatus)).includes(status)
  );
}

/** JobStatus.validTransitions after the worker plugin's jobs.status.validTransitions handler. */
function validTransitions(job: JobDoc, status: number): readonly number[] | undefined {
  const table =
    job.handler === 'worker_handler'
      ? WORKER_TRANSITIONS
      : job.handler === 'celery_handler'
        ? CELERY_TRANSITIONS
        : undefined;
  return table?.[status] ?? CORE_TRANSITIONS[status];
}

function recordStatus(server: ServerState, jobId: string, status: number | string): void {
  const history = server.statusHistory.get(jobId) ?? [];
  history.push(status);
  server.statusHistory.set(jobId, history);
}

/** girder_worker's utils.jobInfoSpec, attached by its model.job.save.after handler to every new job. */
function jobInfoSpec(server: ServerState, job: JobDoc, token: string) {
  return {
    method: 'PUT' as const,
    url: `${server.apiUrl}/job/${job._id}`,
    reference: job._id,
    headers: { 'Girder-Token': token },
    logPrint: true as const,
  };
}

export interface CreateJobArgs {
  title: string;
  type: string;
  args?: unknown;
  kwargs?: unknown;
  user?: UserDoc | null;
  public?: boolean;
  handler?: string | null;
  otherFields?: Record<string, unknown>;
  parentId?: string | null;
  /** Seeding only: start in this status rather than INACTIVE. */
  status?: number;
}

export function createJob(server: ServerState, a: CreateJobArgs) {
  const now = new Date();
  const job: JobDoc = {
    _id: newObjectId(),
    title: a.title,
    type: a.type,
    args: a.args ?? [],
    kwargs: a.kwargs ?? {},
    created: now,
    updated: now,
    when: now,
    interval: 0,
    status: a.status ?? INACTIVE,
    progress: null,
    log: [],
    meta: {},
    handler: a.handler ?? null,
    asynchronous: false,
    timestamps: [],
    parentId: a.parentId ?? null,
    public: a.public ?? false,
    userId: null,
    access: { users: [], groups: [] },
  };
  Object.assign(job, a.otherFields ?? {});
  if (a.user) {
    job.userId = a.user._id;
    job.access.users.push({ id: a.user._id, level: AccessType.ADMIN, flags: [] });
  }
  // The worker plugin's model.job.save handler: a chained task names its parent by Celery task id.
  const parentTaskId = job.celeryParentTaskId;
  if (parentTaskId) {
    const parent = server.store.findOne('job', (j) => j.celeryTaskId === parentTaskId);
    if (parent) job.parentId = parent._id;
  }
  server.store.insert('job', job);
  recordStatus(server, job._id, job.status);
  // Job.createJobToken: 7 days, scope jobs.job_<id>, no user.
  const token = createToken(server, { scope: [jobScope(job._id)], days: 7 });
  const spec = jobInfoSpec(server, job, token._id);
  job.jobInfoSpec = spec;
  return { job, token: token._id, jobInfoSpec: spec };
}

export interface JobUpdate {
  log?: string;
  overwrite?: boolean;
  status?: number | string;
  progressTotal?: number;
  progressCurrent?: number;
  progressMessage?: string;
  notify?: boolean;
  otherFields?: Record<string, unknown>;
}

/**
 * Job.updateJob. Girder applies every change in one conditional Mongo update (status must still be
 * one of the allowed previous ones), so a refused transition leaves the log and progress untouched too.
 */
export function updateJob(server: ServerState, job: JobDoc, u: JobUpdate): JobDoc {
  const notify = u.notify ?? true;
  let changed = false;
  let status: number | string | undefined;
  if (u.status !== undefined) {
    status = typeof u.status === 'string' ? (parsePythonInt(u.status) ?? u.status) : u.status;
    if (!isValidStatus(status)) throw new ValidationError(`Invalid job status ${status}.`, 'status');
    if (status === job.status) {
      status = undefined;
    } else {
      const previous = validTransitions(job, status as number);
      if (previous === undefined) {
        throw new ValidationError(
          `No valid state transition to '${status}'. Current state is '${job.status}'.`,
          'status',
        );
      }
      if (typeof job.status !== 'number' || !previous.includes(job.status)) {
        throw new ValidationError(
          `Invalid state transition to '${status}', Current state is '${job.status}'.`,
          'status',
        );
      }
    }
  }
  const now = new Date();
  if (u.log !== undefined) {
    job.log = u.overwrite ? [u.log] : [...job.log, u.log];
    changed = true;
  }
  if (status !== undefined) {
    job.status = status;
    job.timestamps.push({ status, time: now });
    recordStatus(server, job._id, status);
    changed = true;
  }
  if (u.progressMessage !== undefined || u.progressCurrent !== undefined || u.progressTotal !== undefined) {
    const hasUser = job.userId !== null && server.store.get('user', job.userId) !== undefined;
    if (job.progress === null) {
      job.progress = {
        message: u.progressMessage ?? null,
        total: u.progressTotal ?? null,
        current: u.progressCurrent ?? null,
        // The id of the progress notification Girder creates for the job's owner.
        notificationId: notify && job.userId ? newObjectId() : null,
      };
    } else {
      if (u.progressTotal !== undefined) job.progress.total = u.progressTotal;
      if (u.progressCurrent !== undefined) job.progress.current = u.progressCurrent;
      if (u.progressMessage !== undefined) job.progress.message = u.progressMessage;
      if (notify && hasUser && job.progress.notificationId === null)
        job.progress.notificationId = newObjectId();
    }
    changed = true;
  }
  for (const [k, v] of Object.entries(u.otherFields ?? {})) {
    job[k] = v;
    changed = true;
  }
  if (changed) job.updated = now;
  return job;
}

/**
 * Job.cancelJob with the worker plugin's jobs.cancel handler. For celery_handler and worker_handler
 * jobs: nothing happens without a celeryTaskId; INACTIVE goes to CANCELED, other unfinished states to
 * CANCELING, and then the task is revoked (here: onJobCancel is called). Other handlers go to CANCELED.
 */
export async function cancelJob(server: ServerState, job: JobDoc): Promise<JobDoc> {
  if (job.handler !== 'worker_handler' && job.handler !== 'celery_handler') {
    return updateJob(server, job, { status: CANCELED });
  }
  if (job.celeryTaskId === undefined || job.celeryTaskId === null) {
    console.warn(`Unable to cancel Celery task. Job '${job._id}' doesn't have a Celery task id.`);
    return job;
  }
  let revoke = false;
  if (job.status === INACTIVE) {
    updateJob(server, job, { status: CANCELED });
    revoke = true;
  } else if (!([CANCELING, CANCELED, SUCCESS, ERROR] as (number | string)[]).includes(job.status)) {
    updateJob(server, job, { status: CANCELING });
    revoke = true;
  }
  if (revoke && server.onJobCancel) await server.onJobCancel(structuredClone(job));
  return job;
}
