/** Celery's task states, as monitors (Flower, `celery.events.State`) name them. */
export const TASK_STATES = [
  'PENDING',
  'RECEIVED',
  'STARTED',
  'SUCCESS',
  'FAILURE',
  'RETRY',
  'REVOKED',
  'REJECTED',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

/** States after which nothing more happens to a task: a late event never moves it back. */
export const READY_STATES: ReadonlySet<TaskState> = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED']);

export interface TaskProgress {
  current: number;
  total: number;
  message: string | null;
}

/** One task as the monitor's API and WebSocket show it (times are ISO 8601 texts). */
export interface TaskRecord {
  id: string;
  name: string | null;
  image: string | null;
  state: TaskState;
  worker: string | null;
  queue: string | null;
  user: string | null;
  group: string | null;
  /** Python reprs, as Celery's events carry them (`('longshore/busybox',)`). */
  args: string | null;
  kwargs: string | null;
  /** The first event's time. */
  created: string;
  received: string | null;
  started: string | null;
  ended: string | null;
  /** Seconds. */
  runtime: number | null;
  exitCode: number | null;
  result: string | null;
  error: string | null;
  progress: TaskProgress | null;
}

/** A task and the tail of its log (`GET /api/tasks/:id`). */
export type TaskWithLog = TaskRecord & { log: string };

export interface WorkerRecord {
  hostname: string;
  online: boolean;
  active: number;
  processed: number;
  loadavg: number[];
  lastHeartbeat: string | null;
  swIdent: string | null;
  swVer: string | null;
  pid: number | null;
}

export const DOCKER_RUN_TASK = 'girder_worker.docker.tasks.docker_run';

/**
 * A docker_run's image from its args repr, for senders that do not tag it (Python clients):
 * the first element of `('longshore/busybox',)` or `['img', ...]`.
 */
export function imageFromArgs(args: string | null): string | null {
  if (!args) return null;
  const match = /^[([]\s*(['"])((?:(?!\1)[^\\]|\\.)+)\1/.exec(args.trim());
  return match?.[2] ?? null;
}

/**
 * A container's exit code from what the events carry: a docker_run's result repr
 * (`{'exitCode': 0, ...}`) or its failure (`Non-zero exit code from docker container (3)`).
 */
export function exitCodeFrom(text: string | null): number | null {
  if (!text) return null;
  const match =
    /['"]exitCode['"]\s*:\s*(-?\d+)/.exec(text) ??
    /Non-zero exit code from docker container \((-?\d+)\)/.exec(text);
  return match?.[1] === undefined ? null : Number(match[1]);
}

export function isTaskState(value: string): value is TaskState {
  return (TASK_STATES as readonly string[]).includes(value);
}
