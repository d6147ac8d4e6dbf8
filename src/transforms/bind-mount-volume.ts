import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../core/errors.js';
import type { TaskContext } from '../execution/task-context.js';
import type { MountMode, VolumeMount } from '../execution/endpoints.js';
import { Volume } from './volume.js';

const MODES: readonly MountMode[] = ['ro', 'rw'];

/** An existing host directory (or file) mounted into the container at a path of your choice. */
export class BindMountVolume extends Volume {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly mode: MountMode;

  constructor(hostPath: string, containerPath: string, mode: MountMode = 'rw') {
    super();
    if (typeof hostPath !== 'string' || !path.isAbsolute(hostPath) || hostPath.includes('\0')) {
      throw new ValidationError('hostPath', hostPath, 'an absolute host path');
    }
    if (
      typeof containerPath !== 'string' ||
      !path.posix.isAbsolute(containerPath) ||
      containerPath.includes('\0')
    ) {
      throw new ValidationError('containerPath', containerPath, 'an absolute container path');
    }
    const normalizedContainerPath = path.posix.normalize(containerPath);
    if (normalizedContainerPath === '/') {
      throw new ValidationError(
        'containerPath',
        containerPath,
        "a path below '/': the root cannot be mounted over",
      );
    }
    if (!MODES.includes(mode)) {
      throw new ValidationError('mode', mode, "'ro' or 'rw'");
    }
    this.hostPath = path.normalize(hostPath);
    this.containerPath = normalizedContainerPath;
    this.mode = mode;
  }

  override mount(ctx: TaskContext): Promise<VolumeMount> {
    return ctx.once(this, async () => {
      try {
        await stat(this.hostPath);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new ValidationError(
          'hostPath',
          this.hostPath,
          code === 'ENOENT' || code === 'ENOTDIR'
            ? 'host path does not exist'
            : `host path cannot be used: ${code}`,
          { cause: error },
        );
      }
      const mount: VolumeMount = {
        hostPath: this.hostPath,
        containerPath: this.containerPath,
        mode: this.mode,
      };
      ctx.mount(mount);
      return mount;
    });
  }

  override toString(): string {
    return `BindMountVolume(${JSON.stringify(this.hostPath)} -> ${JSON.stringify(this.containerPath)}, ${this.mode})`;
  }
}
