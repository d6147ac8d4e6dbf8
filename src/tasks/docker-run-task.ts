import { executeDockerRun, type DockerRunResult } from '../docker/docker-run.js';
import { parseDockerRunOptions, parseImage, type DockerRunOptions } from '../docker/docker-run-options.js';
import { toWireKwargs } from '../celery/docker-run-wire.js';
import type { WireCall } from '../celery/client/send-task.js';
import { encodeHooksHeader } from '../celery/wire-codec.js';
import type { TaskHandle } from './task-handle.js';
import { Task, type ApplyOptions } from './task.js';

export const DOCKER_RUN_TASK_NAME = 'girder_worker.docker.tasks.docker_run';

export type DockerRunCallOptions = DockerRunOptions & Pick<ApplyOptions, 'signal'>;

/**
 * `dockerRun.delay(image, options)`: Girder Worker's `docker_run` task. Options are validated
 * here, synchronously, so bad input fails before anything starts. With a broker configured the
 * call goes to a worker in Girder Worker's layout (args `[image]`, docker-py's keyword names,
 * transforms as jsonpickle objects, result hooks in the `girder_result_hooks` header), which a
 * longshore worker and a Python Girder Worker both run.
 */
class DockerRunTask extends Task<[string], DockerRunResult, DockerRunOptions> {
  constructor() {
    super(DOCKER_RUN_TASK_NAME, (exec, image) =>
      executeDockerRun(image, parseDockerRunOptions(exec.kwargs), exec),
    );
  }

  override applyAsync(
    args: [string],
    kwargs: DockerRunOptions = {},
    options: ApplyOptions = {},
  ): TaskHandle<DockerRunResult> {
    parseImage(args[0]);
    parseDockerRunOptions(kwargs);
    return super.applyAsync(args, kwargs, options);
  }

  override delay(image: string, options: DockerRunCallOptions = {}): TaskHandle<DockerRunResult> {
    const { signal, ...runOptions } = options;
    return this.applyAsync([image], runOptions, signal ? { signal } : {});
  }

  /** @internal */
  override toWire(args: [string], kwargs: DockerRunOptions | undefined): WireCall {
    const { girderResultHooks, ...options } = kwargs ?? {};
    const call: WireCall = { args: [args[0]], kwargs: toWireKwargs(options) };
    if (girderResultHooks && girderResultHooks.length > 0) {
      // Girder Worker's before_task_publish: each hook flattened on its own (dicts, not strings).
      call.headers = { girder_result_hooks: encodeHooksHeader(girderResultHooks) };
    }
    return call;
  }
}

export const dockerRun = new DockerRunTask();
