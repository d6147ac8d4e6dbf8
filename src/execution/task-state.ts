/** Celery's state names, so that the same words mean the same thing in-process and over the wire. */
export const TASK_STATES = [
  'PENDING',
  'RECEIVED',
  'STARTED',
  'RETRY',
  'SUCCESS',
  'FAILURE',
  'REVOKED',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const READY_STATES: ReadonlySet<TaskState> = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);
