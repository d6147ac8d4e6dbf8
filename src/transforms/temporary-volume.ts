import { randomUUID } from 'node:crypto';
import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../core/errors.js';
import type { TaskContext } from '../execution/task-context.js';
import type { VolumeMount } from '../execution/endpoints.js';
import { Volume } from './volume.js';

export { Volume, isVolume } from './volume.js';

/** Where temporary volumes appear in the container, as in Girder Worker. */
const TEMP_VOLUME_MOUNT_PREFIX = '/mnt/girder_worker';

/** A container path for a new temporary volume: `/mnt/girder_worker/<32 hex digits>`. */
function newTemporaryContainerPath(): string {
  return `${TEMP_VOLUME_MOUNT_PREFIX}/${randomUUID().replaceAll('-', '')}`;
}

/** The task's own temporary volume: whatever `ctx.defaultVolume()` is for the running task. */
class DefaultTemporaryVolume extends Volume {
  override mount(ctx: TaskContext): Promise<VolumeMount> {
    return ctx.defaultVolume();
  }

  override toString(): string {
    return 'TemporaryVolume.default';
  }
}

/**
 * The one object that stands for "the running task's default temporary volume". Unlike Girder
 * Worker (which passes the string 'None'), as an argument it resolves to its container path.
 */
export const DEFAULT_TEMPORARY_VOLUME: Volume = new DefaultTemporaryVolume();

/**
 * A new temporary directory of the host, mounted read-write at `/mnt/girder_worker/<uuid>`.
 * Each task that uses the object gets its own directory (removed when the task ends); within a
 * task the object is one directory however often it is used.
 */
export class TemporaryVolume extends Volume {
  readonly hostDir: string | undefined;
  readonly mode: number;

  /**
   * @param hostDir the host directory to create the temporary directory in (absolute; created
   *   with `mode` if missing). Without it, the task context's temporary root.
   * @param mode the permissions of `hostDir` when it has to be created.
   */
  constructor(hostDir?: string, mode = 0o755) {
    super();
    if (hostDir !== undefined) {
      if (typeof hostDir !== 'string' || !path.isAbsolute(hostDir) || hostDir.includes('\0')) {
        throw new ValidationError('hostDir', hostDir, 'an absolute host path');
      }
    }
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
      throw new ValidationError('mode', mode, 'file permission bits, an integer from 0 to 0o7777');
    }
    this.hostDir = hostDir === undefined ? undefined : path.normalize(hostDir);
    this.mode = mode;
  }

  /** The running task's own temporary volume (always mounted). */
  static get default(): Volume {
    return DEFAULT_TEMPORARY_VOLUME;
  }

  override mount(ctx: TaskContext): Promise<VolumeMount> {
    return ctx.once(this, async () => {
      if (this.hostDir !== undefined) await ensureDirectory(this.hostDir, this.mode);
      const hostPath = await ctx.makeTempDir(this.hostDir);
      const mount: VolumeMount = { hostPath, containerPath: newTemporaryContainerPath(), mode: 'rw' };
      ctx.mount(mount);
      return mount;
    });
  }

  override toString(): string {
    return this.hostDir === undefined
      ? 'TemporaryVolume()'
      : `TemporaryVolume(${JSON.stringify(this.hostDir)})`;
  }
}

/** `mkdir -p` that gives a directory it creates the exact `mode` (not masked by the umask). */
async function ensureDirectory(dir: string, mode: number): Promise<void> {
  try {
    const stats = await stat(dir);
    if (!stats.isDirectory()) throw new ValidationError('hostDir', dir, 'a directory, but it is not one');
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dir, { recursive: true, mode });
  await chmod(dir, mode);
}
