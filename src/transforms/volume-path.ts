import path from 'node:path';
import { ValidationError } from '../core/errors.js';
import type { TaskContext } from '../execution/task-context.js';
import { Transform } from './transform.js';
import { Volume } from './volume.js';
import { TemporaryVolume } from './temporary-volume.js';

/**
 * A file or directory inside a volume. As an argument it becomes its container path; a result
 * hook reads the same place through `hostPath(ctx)`. Nothing is created at the path itself: the
 * container writes it (or the caller puts something there).
 */
export class VolumePath extends Transform {
  readonly filename: string;
  readonly volume: Volume;
  /** `filename`, normalized: relative, inside the volume. */
  readonly #relative: string;

  constructor(filename: string, volume: Volume = TemporaryVolume.default) {
    super();
    if (typeof filename !== 'string' || filename === '' || filename.includes('\0')) {
      throw new ValidationError('filename', filename, 'a non-empty path relative to the volume');
    }
    if (path.posix.isAbsolute(filename)) {
      throw new ValidationError('filename', filename, 'a path relative to the volume, not an absolute one');
    }
    const relative = path.posix.normalize(filename);
    if (relative === '..' || relative.startsWith('../')) {
      throw new ValidationError('filename', filename, 'a path inside the volume; it escapes it with ..');
    }
    if (!(volume instanceof Volume)) {
      throw new ValidationError('volume', volume, 'a Volume (TemporaryVolume, BindMountVolume...)');
    }
    this.filename = filename;
    this.volume = volume;
    this.#relative = relative;
  }

  /** The path inside the container (mounting the volume if needed). */
  override async resolve(ctx: TaskContext): Promise<string> {
    const mount = await this.volume.mount(ctx);
    return path.posix.join(mount.containerPath, this.#relative);
  }

  /** The same place on the host, for result hooks (mounting the volume if needed). */
  async hostPath(ctx: TaskContext): Promise<string> {
    const mount = await this.volume.mount(ctx);
    return path.join(mount.hostPath, this.#relative);
  }

  override toString(): string {
    return `VolumePath(${JSON.stringify(this.filename)})`;
  }
}
