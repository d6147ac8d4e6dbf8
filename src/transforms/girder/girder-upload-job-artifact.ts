import type { TaskContext } from '../../execution/task-context.js';
import { checkAbsoluteHostPath } from '../../girder/girder-args.js';
import { JobArtifactHook, type GirderJobArtifactOptions } from './girder-job-artifact-hook.js';

/**
 * A result hook (girder_worker_utils' `GirderUploadJobArtifact`): uploads a file, or the regular
 * files directly inside a directory, at an absolute path of this host as artifacts of a Girder
 * job, as `GirderUploadVolumePathJobArtifact` does for a VolumePath (same options, same fallback
 * when the server has no artifact route). Returns the job id (null when nothing was there).
 */
export class GirderUploadJobArtifact extends JobArtifactHook {
  readonly path: string;

  constructor(path: string, options: GirderJobArtifactOptions = {}) {
    super(options);
    this.path = checkAbsoluteHostPath('path', path);
  }

  protected override hostPath(_ctx: TaskContext): Promise<string> {
    return Promise.resolve(this.path);
  }

  override toString(): string {
    return `GirderUploadJobArtifact(${JSON.stringify(this.path)} -> ${this.describeJob()})`;
  }
}
