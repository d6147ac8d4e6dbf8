import type { TaskContext } from '../execution/task-context.js';
import { Transform } from './transform.js';
import { type VolumeMount } from '../execution/endpoints.js';

/**
 * A directory of the host mounted into the container. Passed as an argument, a volume becomes its
 * container path; other transforms (`VolumePath`, named pipes) use it as the place for their files.
 */
export abstract class Volume extends Transform {
  /** Makes the volume exist and be mounted for this task; the same volume twice is one mount. */
  abstract mount(ctx: TaskContext): Promise<VolumeMount>;

  override async resolve(ctx: TaskContext): Promise<string> {
    return (await this.mount(ctx)).containerPath;
  }
}

export function isVolume(value: unknown): value is Volume {
  return value instanceof Volume;
}
