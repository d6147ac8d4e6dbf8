import { randomUUID } from 'node:crypto';
import { executeDockerRun, type DockerRunResult } from './execute-docker-run.js';
import { parseDockerRunOptions, parseImage, type DockerRunOptions } from './docker-run-options.js';
import { toWireKwargs } from './docker-run-wire.js';
import type { WireCall } from '../app/send-task.js';
import {
  encodeResultHooks,
  girderWorkerClasses,
  type PythonEncodeOptions,
} from '../girder-worker/classes/index.js';
import { getConfiguration } from '../config/configuration.js';
import { splitGirderJobOptions, type GirderJobOptions } from '../girder-worker/job/create-job.js';
import { taskGirderAccess } from '../girder-worker/job/job-info-spec.js';
import { TaskJob } from '../girder-worker/job/task-job.js';
import { parseApplyOptions } from '../celery/client/apply-options.js';
import type { TaskHandle } from '../execution/task-handle.js';
import { Task, withGirderBody, type ApplyOptions } from '../app/task.js';

export const DOCKER_RUN_TASK_NAME = 'girder_worker.docker.tasks.docker_run';

/** dockerRun's options plus Girder Worker's girder_job_* ones (see `GirderJobOptions`). */
export type DockerRunKwargs = DockerRunOptions & GirderJobOptions;

export type DockerRunCallOptions = DockerRunKwargs & Pick<ApplyOptions, 'signal'>;

/**
 * `dockerRun.delay(image, options)`: Girder Worker's `docker_run` task. Options are validated
 * here, synchronously, so bad input fails before anything starts. With a broker configured the
 * call goes to a worker in Girder Worker's layout (args `[image]`, docker-py's keyword names,
 * transforms as jsonpickle objects, result hooks in the `girder_result_hooks` header), which a
 * longshore worker and a Python Girder Worker both run.
 *
 * Girder jobs: with Girder configured (`configure({ girder })` or the environment) and any of the
 * girderJob* options given (`girderJobTitle`, `girderJobType`, `girderJobPublic`,
 * `girderJobOtherFields`, `girderJobHandler`), a Girder job is created first (`POST job`) and
 * follows the task: the worker (or this process) sets its status, log and progress. Girder
 * configured but no girderJob* option: no job; girderJob* options without Girder configured: no
 * job either (they are ignored). The handle's `job` resolves with the job document, or undefined.
 * Girder's `POST job` requires a token with the jobs.rest.create_job scope (what Girder Worker's
 * `girder_client_token` carries); a token or API key without it is refused.
 */
class DockerRunTask extends Task<[string], DockerRunResult, DockerRunKwargs> {
  constructor() {
    super(DOCKER_RUN_TASK_NAME, (exec, image) =>
      executeDockerRun(
        image,
        parseDockerRunOptions(exec.kwargs),
        exec,
        exec.girderJobId ? { girder: taskGirderAccess({ jobId: exec.girderJobId }) } : {},
      ),
    );
  }

  override applyAsync(
    args: [string],
    kwargs: DockerRunKwargs = {},
    options: ApplyOptions = {},
  ): TaskHandle<DockerRunResult> {
    const image = parseImage(args[0]);
    const { job: jobOptions, rest } = splitGirderJobOptions(kwargs);
    const runOptions: DockerRunOptions = rest;
    parseDockerRunOptions(runOptions);
    const parsed = parseApplyOptions(options);
    const girder = jobOptions ? getConfiguration().girder : undefined;
    if (!jobOptions || !girder) return this.launch(args, runOptions, parsed);
    const taskId = parsed.taskId ?? randomUUID();
    // Girder shows the call as the worker gets it: docker-py's names, hooks apart (in a header).
    const { girderResultHooks: _hooks, ...shown } = runOptions;
    const job = new TaskJob(girder, jobOptions, {
      taskId,
      args: [image],
      kwargs: toWireKwargs(shown),
      image,
    });
    return this.launch(args, runOptions, { ...parsed, taskId }, job);
  }

  override delay(image: string, options: DockerRunCallOptions = {}): TaskHandle<DockerRunResult> {
    const { signal, ...runOptions } = options;
    return this.applyAsync([image], runOptions, signal ? { signal } : {});
  }

  /**
   * @internal With the client's Girder, as Girder sends docker_run: each Girder transform's `gc`
   * (all a Python worker reads), and the `girder_api_url` / `girder_client_token` headers (the
   * task's own Girder to a longshore worker, whose policy allows the `gc` URLs under it).
   */
  override toWire(
    args: [string],
    kwargs: DockerRunKwargs | undefined,
    encoding: PythonEncodeOptions = {},
  ): WireCall {
    const { rest } = splitGirderJobOptions(kwargs ?? {});
    const { girderResultHooks, ...options } = rest as DockerRunOptions;
    const call = withGirderBody({ args: [args[0]], kwargs: toWireKwargs(options) }, encoding);
    const { girder } = encoding;
    const headers: Record<string, unknown> = {};
    if (girder) {
      headers.girder_api_url = girder.apiUrl;
      if (girder.token) headers.girder_client_token = girder.token;
    }
    if (girderResultHooks && girderResultHooks.length > 0) {
      // Girder Worker's before_task_publish: each hook flattened on its own (dicts, not strings).
      headers.girder_result_hooks = encodeResultHooks(girderResultHooks, girderWorkerClasses, encoding);
    }
    return Object.keys(headers).length > 0 ? { ...call, headers } : call;
  }
}

export const dockerRun = new DockerRunTask();
