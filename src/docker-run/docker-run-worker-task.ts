import { executeDockerRun } from './execute-docker-run.js';
import { parseDockerRunOptions, parseImage } from './docker-run-options.js';
import { DOCKER_RUN_TASK_NAME } from './docker-run-task.js';
import { ValidationError, messageOf } from '../core/errors.js';
import { followedByJob, outcomeOf } from '../girder-worker/job/followed-by-job.js';
import { specJobId, taskGirderAccess } from '../girder-worker/job/job-info-spec.js';
import { GirderJobReporter, type JobOutcome } from '../girder-worker/job/job-reporter.js';
import { FanOutReporter } from '../execution/reporter.js';
import { SoftTimeLimitExceededError, TimeLimitExceededError } from '../celery/errors.js';
import { fromWireKwargs, wireFieldName } from './docker-run-wire.js';
import { parseWorkerPolicy, secureDefaultPolicy } from './policy/policy-schema.js';
import { readGirderHeaders, type GirderHeaders } from '../girder-worker/girder-headers.js';
import type { TaskRequest } from '../celery/protocol/parse-task-message.js';
import { WorkerShutdownReason, type WorkerExecution, type WorkerTask } from '../app/worker-task.js';

/** Python's positional parameters after `image`, in order. */
const POSITIONAL = ['pull_image', 'entrypoint', 'container_args', 'volumes', 'remove_container'] as const;

/**
 * Girder Worker's `docker_run` on a longshore worker: the message's args and kwargs (Python or
 * longshore client) become `DockerRunOptions`, validated; result hooks come from the
 * `girder_result_hooks` header. The result is `{ exitCode, hookResults }` (Girder Worker's own
 * docker_run returns None).
 *
 * With a `jobInfoSpec` header a Girder job follows the task, as Girder Worker's signal handlers
 * keep it: RUNNING, the phases, the log and progress, then SUCCESS, ERROR or CANCELED. A revoke,
 * even without terminate (Girder's cancel), stops such a task; one revoked before it ran ends its
 * job CANCELED. Transforms without their own Girder connection use the message's
 * `girder_api_url` and `girder_client_token`, or the worker's configured Girder.
 */
export const dockerRunWorkerTask: WorkerTask = {
  name: DOCKER_RUN_TASK_NAME,
  async run(request, exec) {
    const girder = readGirderHeaders(request.headers);
    const spec = girder.jobInfoSpec;
    if (!spec) return runDockerRun(request, girder, exec);
    const job = newJobReporter(request, girder, exec);
    job.start();
    return followedByJob(
      job,
      exec.signal,
      () => runDockerRun(request, girder, { ...exec, reporter: new FanOutReporter([exec.reporter, job]) }),
      workerOutcome,
    );
  },

  async dropped(request, exec) {
    try {
      const girder = readGirderHeaders(request.headers);
      if (!girder.jobInfoSpec) return;
      await newJobReporter(request, girder, exec).end({ kind: 'cancelled', reason: 'revoked before it ran' });
    } catch (error) {
      exec.logger.warn(
        `Task ${request.name}[${request.id}]: could not cancel its Girder job: ${messageOf(error)}`,
      );
    }
  },

  stopsOnRevoke(request) {
    const spec = request.headers.jobInfoSpec;
    return typeof spec === 'object' && spec !== null;
  },
};

async function runDockerRun(request: TaskRequest, girder: GirderHeaders, exec: WorkerExecution) {
  const [image, ...positional] = request.args;
  if (positional.length > POSITIONAL.length) {
    throw new ValidationError('args', request.args, `at most ${POSITIONAL.length + 1} positional arguments`);
  }
  const kwargs: Record<string, unknown> = {};
  positional.forEach((value, i) => {
    kwargs[POSITIONAL[i]!] = value;
  });
  for (const [key, value] of Object.entries(request.kwargs)) {
    if (key in kwargs)
      throw new ValidationError(`kwargs.${key}`, value, 'given both by position and by name');
    kwargs[key] = value;
  }
  const origins = new Map<string, string>();
  const options = fromWireKwargs(kwargs, origins);
  if (girder.resultHooks.length > 0) options.girderResultHooks = girder.resultHooks;
  const parsed = parseDockerRunOptions(options, 'kwargs');
  const jobId = girder.jobInfoSpec ? specJobId(girder.jobInfoSpec) : undefined;
  // Messages from the broker are never trusted: without the worker's policy, the secure default.
  const policy = exec.policy === undefined ? secureDefaultPolicy() : parseWorkerPolicy(exec.policy);
  return executeDockerRun(
    parseImage(image),
    parsed,
    { taskId: request.id, signal: exec.signal, reporter: exec.reporter },
    {
      girder: taskGirderAccess({ apiUrl: girder.apiUrl, token: girder.token, jobId }),
      policy,
      girderApiUrl: girder.apiUrl,
      fieldName: wireFieldName(origins),
    },
  );
}

function newJobReporter(
  request: TaskRequest,
  girder: GirderHeaders,
  exec: Pick<WorkerExecution, 'logger'>,
): GirderJobReporter {
  const [image] = request.args;
  const logger = exec.logger;
  return new GirderJobReporter({
    spec: girder.jobInfoSpec!,
    ...(typeof image === 'string' ? { image } : {}),
    warn: (message: string) => logger.warn(`Task ${request.name}[${request.id}]: ${message}`),
  });
}

/**
 * The job's end as Girder Worker's handlers decide it: a time limit is an ERROR, a revoke a
 * cancel; a worker shutdown leaves the job as it is, since the task runs again elsewhere.
 */
function workerOutcome(error: unknown, signal: AbortSignal): JobOutcome {
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (reason instanceof WorkerShutdownReason) {
    return { kind: 'interrupted', reason: 'the worker is shutting down; the task goes back to the queue' };
  }
  if (reason instanceof SoftTimeLimitExceededError || reason instanceof TimeLimitExceededError) {
    return { kind: 'failure', error: reason };
  }
  return outcomeOf(error, signal);
}
