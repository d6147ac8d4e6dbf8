import { z } from 'zod';
import {
  ContainerExitError,
  LongshoreError,
  TaskCancelledError,
  ValidationError,
} from '../../core/errors.js';
import { redact } from '../../core/secrets.js';
import {
  MaxRetriesExceededError,
  RemoteTaskError,
  SoftTimeLimitExceededError,
  TaskNotRegisteredError,
  TimeLimitExceededError,
} from '../errors.js';

/** An exception as Celery's backends store it: `exc_message` is Python's `exc.args`. */
export interface WireException {
  exc_type: string;
  exc_module: string;
  exc_message: unknown[];
}

/** An error a task function may throw to name the Python exception a Python client should raise. */
export interface PythonExceptionLike {
  pyType: string;
  pyModule: string;
}

const CELERY = 'celery.exceptions';
const BUILTINS = 'builtins';
const LONGSHORE = 'longshore.errors';

/**
 * The Python exception that stands for a longshore error. A Python client rebuilds it: a module
 * it knows (builtins, celery.exceptions) gives the real class; an unknown one (longshore.errors)
 * makes Celery create a class of that name in celery.exceptions, so `type(e).__name__` is still
 * ContainerExitError.
 */
export function toWireException(error: unknown): WireException {
  const message = redact(error instanceof Error ? error.message : String(error));
  const make = (exc_type: string, exc_module: string, args: unknown[] = [message]): WireException => ({
    exc_type,
    exc_module,
    exc_message: args,
  });
  if (isPythonExceptionLike(error)) return make(error.pyType, error.pyModule);
  if (error instanceof RemoteTaskError) return make(error.excType, error.excModule, error.excArgs);
  if (error instanceof TaskNotRegisteredError) return make('NotRegistered', CELERY, [error.taskName]);
  if (error instanceof SoftTimeLimitExceededError) return make('SoftTimeLimitExceeded', CELERY);
  if (error instanceof TimeLimitExceededError) return make('TimeLimitExceeded', CELERY);
  if (error instanceof MaxRetriesExceededError) return make('MaxRetriesExceededError', CELERY);
  if (error instanceof TaskCancelledError) return make('TaskRevokedError', CELERY);
  if (error instanceof ContainerExitError) return make('ContainerExitError', LONGSHORE);
  if (error instanceof ValidationError || isProtocolError(error)) return make('ValueError', BUILTINS);
  if (error instanceof LongshoreError) return make(error.name, LONGSHORE);
  if (error instanceof TypeError) return make('TypeError', BUILTINS);
  if (error instanceof RangeError) return make('ValueError', BUILTINS);
  return make('Exception', BUILTINS);
}

/** A JS stack as the traceback text (secrets masked); Python clients only show it. */
export function tracebackOf(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  return redact(error.stack ?? `${error.name}: ${error.message}`);
}

const wireExceptionSchema = z.looseObject({
  exc_type: z.string().min(1),
  exc_module: z.string().optional(),
  exc_message: z.unknown().optional(),
});

/** The typed error for a FAILURE (or REVOKED) result received from a worker. */
export function fromWireException(taskId: string, result: unknown, traceback: unknown): RemoteTaskError {
  const parsed = wireExceptionSchema.safeParse(result);
  const tb = typeof traceback === 'string' ? traceback : null;
  if (!parsed.success) {
    return new RemoteTaskError(taskId, {
      excType: 'Exception',
      excModule: BUILTINS,
      excArgs: result === undefined || result === null ? [] : [result],
      traceback: tb,
    });
  }
  const { exc_type, exc_module, exc_message } = parsed.data;
  const args = Array.isArray(exc_message)
    ? exc_message
    : exc_message === undefined || exc_message === null
      ? []
      : [exc_message];
  return new RemoteTaskError(taskId, {
    excType: exc_type,
    excModule: exc_module ?? BUILTINS,
    excArgs: args,
    traceback: tb,
  });
}

function isPythonExceptionLike(error: unknown): error is PythonExceptionLike {
  const e = error as Partial<PythonExceptionLike> | null;
  return typeof e?.pyType === 'string' && typeof e.pyModule === 'string' && e.pyType !== '';
}

/** helper-independent check for the codec's ProtocolError (code ERR_PROTOCOL). */
function isProtocolError(error: unknown): boolean {
  return error instanceof LongshoreError && error.code === 'ERR_PROTOCOL';
}
