import { z } from 'zod';
import type { GirderConfig } from '../../config/configuration.js';
import { registerSecret } from '../../core/secrets.js';
import { FanOutReporter, type Reporter } from '../../execution/reporter.js';
import type { TaskFollower } from '../../execution/task-follower.js';
import { GirderConfigError } from '../../girder/errors.js';
import { clientGirderClient } from '../../girder/client-girder.js';
import { createGirderJob, type GirderJob, type GirderJobOptions } from './create-job.js';
import { followedByJob } from './followed-by-job.js';
import { buildJobInfoSpec, type JobInfoSpec } from './job-info-spec.js';
import { GirderJobReporter } from './job-reporter.js';

export interface TaskJobInput {
  taskId: string;
  /** The call as Girder shows it (the wire's args and kwargs). */
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
  /** The image, named in the job log. */
  image?: string | undefined;
}

interface Created {
  job: GirderJob;
  spec: JobInfoSpec;
  apiUrl: string;
  token: string;
}

/**
 * The Girder job of a task a longshore client starts, created (`POST job`) before the task is
 * sent or run. A worker updates it through the message's `jobInfoSpec` (the one Girder returns
 * with the job, holding a token for that job alone, else one with the client's own token),
 * `girder_api_url` and `girder_client_token` headers, as it would a job Girder created; a run in
 * this process is followed by the same job reporter a worker uses.
 */
export class TaskJob implements TaskFollower {
  readonly job: Promise<GirderJob>;
  readonly headers: Promise<Record<string, unknown>>;
  readonly #created: Promise<Created>;
  readonly #image: string | undefined;

  constructor(config: GirderConfig, options: GirderJobOptions, input: TaskJobInput) {
    // The client's shared one: the token in this job's headers is the one in the message's `gc`.
    const client = clientGirderClient(config);
    this.#image = input.image;
    this.#created = (async (): Promise<Created> => {
      const token = await client.token();
      if (!token) {
        throw new GirderConfigError(
          'Creating a Girder job needs a token or an API key: configure({ girder: { apiUrl, apiKey } })',
        );
      }
      const job = await createGirderJob(client, {
        ...options,
        celeryTaskId: input.taskId,
        args: input.args,
        kwargs: input.kwargs,
      });
      // Girder's worker plugin attaches a spec with a token for this job alone: better than ours.
      const spec = returnedSpec(job) ?? buildJobInfoSpec(client.apiUrl, job._id, token);
      return { job, spec, apiUrl: client.apiUrl, token };
    })();
    this.job = this.#created.then((created) => created.job);
    this.headers = this.#created.then(({ spec, apiUrl, token }) => ({
      jobInfoSpec: spec,
      girder_api_url: apiUrl,
      girder_client_token: token,
    }));
    // Whoever needs them awaits them (and sees the error); unused, they must not crash the process.
    for (const promise of [this.#created, this.job, this.headers]) promise.catch(() => undefined);
  }

  async follow<R>(
    run: (reporter: Reporter, girderJobId: string) => Promise<R>,
    reporter: Reporter,
    signal: AbortSignal,
  ): Promise<R> {
    const { spec, job } = await this.#created;
    const jobReporter = new GirderJobReporter({
      spec,
      ...(this.#image ? { image: this.#image } : {}),
      warn: (message) => reporter.warning(message),
    });
    return followedByJob(jobReporter, signal, () =>
      run(new FanOutReporter([reporter, jobReporter]), job._id),
    );
  }
}

const returnedSpecSchema = z.looseObject({
  method: z.string().optional(),
  url: z.string().regex(/^https?:\/\//),
  reference: z.string().nullish(),
  headers: z.record(z.string(), z.string()),
  logPrint: z.boolean().optional(),
});

function returnedSpec(job: GirderJob): JobInfoSpec | undefined {
  const parsed = returnedSpecSchema.safeParse(job.jobInfoSpec);
  if (!parsed.success) return undefined;
  for (const value of Object.values(parsed.data.headers)) registerSecret(value);
  return parsed.data;
}
