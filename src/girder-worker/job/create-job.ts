import { z } from 'zod';
import { redact } from '../../core/secrets.js';
import { parseOrThrow } from '../../core/parse.js';
import { GirderHttpError } from '../../girder/errors.js';
import type { GirderClient } from '../../girder/girder-client.js';
import { girderJobSchema, type GirderJob } from '../../girder/documents.js';

export type { GirderJob } from '../../girder/documents.js';

/**
 * Girder Worker's `girder_job_*` options of `delay()` / `apply_async()`, in longshore's spelling:
 * with Girder configured, any of them makes the client create a Girder job that follows the task.
 */
// A type, not an interface: task kwargs must be assignable to Record<string, unknown>.
export type GirderJobOptions = {
  /** The job's title (default `<unnamed job>`, Girder Worker's). */
  girderJobTitle?: string;
  /** The job's type (default `celery`). */
  girderJobType?: string;
  /** Whether anyone may read the job (default false). */
  girderJobPublic?: boolean;
  /** More fields of the job document (`celeryTaskId` is always the task's id). */
  girderJobOtherFields?: Record<string, unknown>;
  /** The job's handler (default `celery_handler`: Girder cancels it with a Celery revoke). */
  girderJobHandler?: string;
};

export const GIRDER_JOB_OPTION_KEYS = [
  'girderJobTitle',
  'girderJobType',
  'girderJobPublic',
  'girderJobOtherFields',
  'girderJobHandler',
] as const satisfies readonly (keyof GirderJobOptions)[];

const girderJobOptionsSchema = z.strictObject({
  girderJobTitle: z.string().min(1).max(1000).optional(),
  girderJobType: z.string().min(1).max(255).optional(),
  girderJobPublic: z.boolean().optional(),
  girderJobOtherFields: z.record(z.string(), z.unknown()).optional(),
  girderJobHandler: z.string().min(1).max(255).optional(),
});

/**
 * Takes the girderJob* options out of a task's options (validated); `job` is undefined when none
 * was given.
 */
export function splitGirderJobOptions<T extends object>(
  options: T,
  root = 'options',
): { job: GirderJobOptions | undefined; rest: Omit<T, keyof GirderJobOptions> } {
  const job: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if ((GIRDER_JOB_OPTION_KEYS as readonly string[]).includes(key)) {
      if (value !== undefined) job[key] = value;
    } else {
      rest[key] = value;
    }
  }
  const given = Object.keys(job).length > 0;
  return {
    job: given ? parseOrThrow(girderJobOptionsSchema, job, root) : undefined,
    rest: rest as Omit<T, keyof GirderJobOptions>,
  };
}

/** girder_jobs' REST_CREATE_JOB_TOKEN_SCOPE: `POST job` requires it of the token (a user's lacks it). */
export const CREATE_JOB_SCOPE = 'jobs.rest.create_job';

export type CreateJobInput = GirderJobOptions & {
  /** The Celery task id, stored as the job's `celeryTaskId` (Girder's cancel revokes it). */
  celeryTaskId: string;
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
  signal?: AbortSignal | undefined;
};

/**
 * `POST job`, as Girder Worker's client does outside Girder (nongirder_context): title, type,
 * handler, public, args and kwargs as JSON text of their printable forms (transforms by their
 * `toString()`), and otherFields with the task's `celeryTaskId`.
 */
export async function createGirderJob(client: GirderClient, input: CreateJobInput): Promise<GirderJob> {
  const body = await client
    .post<unknown>('job', undefined, {
      form: {
        title: input.girderJobTitle ?? '<unnamed job>',
        type: input.girderJobType ?? 'celery',
        handler: input.girderJobHandler ?? 'celery_handler',
        public: input.girderJobPublic ?? false,
        args: redact(JSON.stringify(printable(input.args))),
        kwargs: redact(JSON.stringify(printable(input.kwargs))),
        otherFields: JSON.stringify({ ...input.girderJobOtherFields, celeryTaskId: input.celeryTaskId }),
      },
      signal: input.signal,
      action: `create the Girder job of task ${input.celeryTaskId}`,
    })
    .catch((error: unknown) => {
      // Girder's POST job wants a token with its job-creation scope, which a user's token lacks.
      if (error instanceof GirderHttpError && (error.status === 401 || error.status === 403)) {
        throw error.withAction(
          `create the Girder job of task ${input.celeryTaskId} (the token needs the ${CREATE_JOB_SCOPE} scope)`,
        );
      }
      throw error;
    });
  const parsed = girderJobSchema.safeParse(body);
  if (!parsed.success) {
    throw new GirderHttpError({
      method: 'POST',
      path: 'job',
      status: 200,
      girderMessage: 'the answer is no job document',
      action: 'create a Girder job',
    });
  }
  return parsed.data;
}

/**
 * A value as Girder stores a task's arguments (Girder Worker's `_repr_model_`): plain data as it
 * is, anything else by its printable form.
 */
export function printable(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === undefined) return null;
  if (depth > 20) return '…';
  if (Array.isArray(value)) return value.map((v) => printable(v, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, printable(v, depth + 1)]),
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only an object with a toString of its own
  if (typeof value === 'object' && value.toString !== Object.prototype.toString) return String(value);
  if (typeof value === 'function') return `<function ${value.name || 'anonymous'}>`;
  if (typeof value === 'object') return `<${value.constructor?.name ?? 'object'}>`;
  // What is left: a bigint or a symbol.
  return (value as bigint | symbol).toString();
}
