import { executeDockerRun } from '../../docker/docker-run.js';
import { parseDockerRunOptions, parseImage } from '../../docker/docker-run-options.js';
import { DOCKER_RUN_TASK_NAME } from '../../tasks/docker-run-task.js';
import { ValidationError } from '../../errors.js';
import { fromWireKwargs } from '../docker-run-wire.js';
import { readGirderHeaders } from '../girder-headers.js';
import type { WorkerTask } from '../task-registry.js';

/** Python's positional parameters after `image`, in order. */
const POSITIONAL = ['pull_image', 'entrypoint', 'container_args', 'volumes', 'remove_container'] as const;

/**
 * Girder Worker's `docker_run` on a longshore worker: the message's args and kwargs (Python or
 * longshore client) become `DockerRunOptions`, validated; result hooks come from the
 * `girder_result_hooks` header. The result is `{ exitCode, hookResults }` (Girder Worker's own
 * docker_run returns None).
 */
export const dockerRunWorkerTask: WorkerTask = {
  name: DOCKER_RUN_TASK_NAME,
  async run(request, exec) {
    const [image, ...positional] = request.args;
    if (positional.length > POSITIONAL.length) {
      throw new ValidationError(
        'args',
        request.args,
        `at most ${POSITIONAL.length + 1} positional arguments`,
      );
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
    const options = fromWireKwargs(kwargs);
    const girder = readGirderHeaders(request.headers);
    if (girder.resultHooks.length > 0) options.girderResultHooks = girder.resultHooks;
    const parsed = parseDockerRunOptions(options, 'kwargs');
    return executeDockerRun(parseImage(image), parsed, {
      taskId: request.id,
      signal: exec.signal,
      reporter: exec.reporter,
    });
  },
};
