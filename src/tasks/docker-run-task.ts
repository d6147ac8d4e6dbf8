import { executeDockerRun, type DockerRunResult } from '../docker/docker-run.js';
import { parseDockerRunOptions, parseImage, type DockerRunOptions } from '../docker/docker-run-options.js';
import type { TaskHandle } from './task-handle.js';
import { Task, type ApplyOptions } from './task.js';

export const DOCKER_RUN_TASK_NAME = 'girder_worker.docker.tasks.docker_run';

export type DockerRunCallOptions = DockerRunOptions & Pick<ApplyOptions, 'signal'>;

/**
 * `dockerRun.delay(image, options)`: Girder Worker's `docker_run` task. Options are validated
 * here, synchronously, so bad input fails before anything starts.
 */
class DockerRunTask extends Task<[string, DockerRunOptions?], DockerRunResult> {
  constructor() {
    super(DOCKER_RUN_TASK_NAME, (exec, image, options) =>
      executeDockerRun(image, parseDockerRunOptions(options), exec),
    );
  }

  override applyAsync(
    args: [string, DockerRunOptions?],
    options: ApplyOptions = {},
  ): TaskHandle<DockerRunResult> {
    parseImage(args[0]);
    parseDockerRunOptions(args[1]);
    return super.applyAsync(args, options);
  }

  override delay(image: string, options: DockerRunCallOptions = {}): TaskHandle<DockerRunResult> {
    const { signal, ...runOptions } = options;
    return this.applyAsync([image, runOptions], signal ? { signal } : {});
  }
}

export const dockerRun = new DockerRunTask();
