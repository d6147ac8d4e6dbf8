import type { WireException } from '../protocol/exception-info.js';
import type { TaskRequest } from '../protocol/parse-task-message.js';
import { argsRepr, kwargsRepr, pyRepr } from '../protocol/python-values.js';

const DOCKER_RUN_TASK = 'girder_worker.docker.tasks.docker_run';

/** Celery's `resultrepr_maxsize`: a result in `task-succeeded` is a repr of at most this many characters. */
const MAX_RESULT_REPR = 1024;

/** Headers a longshore client may set to say who sent a task; events and `inspect` repeat them. */
export const USER_HEADER = 'longshore_user';
export const GROUP_HEADER = 'longshore_group';

/**
 * Hours *west* of UTC now (Celery's `utcoffset()`: `time.altzone // 3600` during DST, else
 * `time.timezone // 3600`); receivers use it to shift `timestamp`.
 */
export function utcoffset(now = new Date()): number {
  return Math.floor(now.getTimezoneOffset() / 60);
}

/** `ValueError('boom')`: Python's repr of an exception, from its wire form. */
export function exceptionRepr(exception: WireException): string {
  return `${exception.exc_type}(${exception.exc_message.map((arg) => pyRepr(arg)).join(', ')})`;
}

/** A task's result as `task-succeeded` carries it: Python's repr, truncated as `saferepr` does. */
export function resultRepr(value: unknown): string {
  const text = pyRepr(value);
  return text.length <= MAX_RESULT_REPR ? text : `${text.slice(0, MAX_RESULT_REPR - 3)}...`;
}

/** The sender's `longshore_user` / `longshore_group` headers, when present, for events and inspect. */
export function ownerTags(headers: Readonly<Record<string, unknown>>): Record<string, string> {
  const tags: Record<string, string> = {};
  const user = headers[USER_HEADER];
  const group = headers[GROUP_HEADER];
  if (typeof user === 'string' && user !== '') tags[USER_HEADER] = user;
  if (typeof group === 'string' && group !== '') tags[GROUP_HEADER] = group;
  return tags;
}

/** `args` and `kwargs` previews: the sender's argsrepr/kwargsrepr, or ours when it sent none. */
export function requestReprs(request: TaskRequest): { args: string; kwargs: string } {
  return {
    args: request.argsrepr !== '' ? request.argsrepr : argsRepr(request.args),
    kwargs: request.kwargsrepr !== '' ? request.kwargsrepr : kwargsRepr(request.kwargs),
  };
}

/**
 * The fields of `task-received` (celery/worker/request.py): name, argument previews, the
 * workflow ids, retries, and eta/expires as the message's ISO texts (null when absent).
 */
export function taskReceivedFields(request: TaskRequest): Record<string, unknown> {
  const { args, kwargs } = requestReprs(request);
  const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
  return {
    uuid: request.id,
    name: request.name,
    args,
    kwargs,
    root_id: request.rootId,
    parent_id: request.parentId,
    retries: request.retries,
    eta: text(request.headers.eta),
    expires: text(request.headers.expires),
    ...ownerTags(request.headers),
    ...taskTags(request),
  };
}

/**
 * `user`, `group` (the sender's headers) and `image` (a docker_run's first argument) as plain
 * fields, so that a monitor lists tasks by owner and image without knowing our header names.
 */
export function taskTags(request: TaskRequest): Record<string, string> {
  const tags: Record<string, string> = {};
  const owner = ownerTags(request.headers);
  if (owner[USER_HEADER]) tags.user = owner[USER_HEADER];
  if (owner[GROUP_HEADER]) tags.group = owner[GROUP_HEADER];
  const [image] = request.args;
  if (request.name === DOCKER_RUN_TASK && typeof image === 'string' && image !== '') tags.image = image;
  return tags;
}
