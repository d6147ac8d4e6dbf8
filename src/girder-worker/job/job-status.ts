/**
 * Girder's job statuses: the core ones (girder_jobs) and the worker plugin's, and the transitions
 * Girder allows for jobs with the `celery_handler` handler (girder_worker/girder_plugin/status.py,
 * `valid_celery_transitions`): the job of a task sent through Celery.
 */
export const JobStatus = {
  INACTIVE: 0,
  QUEUED: 1,
  RUNNING: 2,
  SUCCESS: 3,
  ERROR: 4,
  CANCELED: 5,
  FETCHING_INPUT: 820,
  CONVERTING_INPUT: 821,
  CONVERTING_OUTPUT: 822,
  PUSHING_OUTPUT: 823,
  CANCELING: 824,
} as const;

export type JobStatusCode = (typeof JobStatus)[keyof typeof JobStatus];

const NAMES = new Map<number, string>(Object.entries(JobStatus).map(([name, code]) => [code, name]));

/** `RUNNING (2)`, or the bare number for a status Girder's plugins do not define. */
export function statusName(status: number): string {
  const name = NAMES.get(status);
  return name ? `${name} (${status})` : String(status);
}

const S = JobStatus;

/** Target ← the statuses it may be reached from. */
const CELERY_TRANSITIONS: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [S.QUEUED, [S.INACTIVE]],
  // Celery tasks may jump straight from INACTIVE to RUNNING.
  [S.RUNNING, [S.INACTIVE, S.QUEUED, S.FETCHING_INPUT]],
  [S.FETCHING_INPUT, [S.RUNNING]],
  [S.CONVERTING_INPUT, [S.RUNNING, S.FETCHING_INPUT]],
  [S.CONVERTING_OUTPUT, [S.RUNNING]],
  [S.PUSHING_OUTPUT, [S.RUNNING, S.CONVERTING_OUTPUT]],
  [S.CANCELING, [S.INACTIVE, S.QUEUED, S.RUNNING]],
  [
    S.ERROR,
    [
      S.FETCHING_INPUT,
      S.CONVERTING_INPUT,
      S.CONVERTING_OUTPUT,
      S.PUSHING_OUTPUT,
      S.CANCELING,
      S.QUEUED,
      S.RUNNING,
    ],
  ],
  [S.CANCELED, [S.CANCELING, S.INACTIVE, S.QUEUED, S.RUNNING]],
  [S.SUCCESS, [S.RUNNING, S.PUSHING_OUTPUT]],
]);

export const TERMINAL_STATUSES: ReadonlySet<number> = new Set([S.SUCCESS, S.ERROR, S.CANCELED]);

export function isTerminal(status: number): boolean {
  return TERMINAL_STATUSES.has(status);
}

export function canTransition(from: number, to: number): boolean {
  return CELERY_TRANSITIONS.get(to)?.includes(from) ?? false;
}

/**
 * The shortest way from `from` to `to` through allowed transitions (the statuses to set, in
 * order; `[]` when already there), or null when Girder allows none: CANCELED is reached from
 * FETCHING_INPUT through RUNNING, but never from PUSHING_OUTPUT. An unknown `from` (null: never
 * read) is assumed to allow the direct step.
 */
export function planTransitions(from: number | null, to: number): number[] | null {
  if (from === to) return [];
  if (from === null) return [to];
  const previous = new Map<number, number>([[from, from]]);
  const queue = [from];
  for (let at = queue.shift(); at !== undefined; at = queue.shift()) {
    if (isTerminal(at) && at !== from) continue;
    for (const [target, sources] of CELERY_TRANSITIONS) {
      if (previous.has(target) || !sources.includes(at)) continue;
      previous.set(target, at);
      if (target === to) return pathTo(previous, from, to);
      queue.push(target);
    }
  }
  return null;
}

function pathTo(previous: ReadonlyMap<number, number>, from: number, to: number): number[] {
  const path = [to];
  for (let at = previous.get(to); at !== undefined && at !== from; at = previous.get(at)) path.unshift(at);
  return path;
}
