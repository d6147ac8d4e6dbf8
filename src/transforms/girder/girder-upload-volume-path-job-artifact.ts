import type { TaskContext } from '../../execution/task-context.js';
import type { VolumePath } from '../volume-path.js';
import { JobArtifactHook, type GirderJobArtifactOptions } from './girder-job-artifact-hook.js';
import { checkVolumePath } from './girder-upload-hook-args.js';

/**
 * A result hook (Girder Worker's `GirderUploadVolumePathJobArtifact`): after the container,
 * uploads the file at a VolumePath, or the regular files directly inside it, as artifacts of a
 * Girder job (`POST job/{id}/artifact`); with `uploadOnException`, after a failed container too,
 * and then its own failure is only a warning, never the task's error. A missing path is a no-op.
 *
 * Released Girder versions have no artifact route: the task does not fail for that; one warning
 * names the route and the artifacts, and with `configure({ girder: { artifactFolderId } })` they
 * go to a sub-folder named after the job instead. Returns the job id (null when nothing was there).
 */
export class GirderUploadVolumePathJobArtifact extends JobArtifactHook {
  readonly volumePath: VolumePath;

  constructor(volumePath: VolumePath, options: GirderJobArtifactOptions = {}) {
    super(options);
    this.volumePath = checkVolumePath(volumePath);
  }

  /** Mounts the volume too, so that the container can write the path. */
  override async prepare(ctx: TaskContext): Promise<void> {
    await this.volumePath.resolve(ctx);
    await super.prepare(ctx);
  }

  protected override hostPath(ctx: TaskContext): Promise<string> {
    return this.volumePath.hostPath(ctx);
  }

  override toString(): string {
    return `GirderUploadVolumePathJobArtifact(${String(this.volumePath)} -> ${this.describeJob()})`;
  }
}
