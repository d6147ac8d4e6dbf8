import path from 'node:path';
import { ValidationError } from '../core/errors.js';
import type { TaskContext } from '../execution/task-context.js';
import { Transform } from './transform.js';
import { TemporaryVolume } from './temporary-volume.js';
import { Volume } from './volume.js';

/**
 * A named pipe as one task sees it: the FIFO exists, and both of its paths are known. This is
 * what a `Connect` hands to the task as a stream endpoint (stream endpoints open without the task
 * context, so they must carry their host path).
 */
export abstract class ResolvedFifo {
  constructor(
    readonly hostPath: string,
    readonly containerPath: string,
  ) {}

  describe(): string {
    return `named pipe ${this.containerPath}`;
  }
}

/**
 * A FIFO shared between the host and the container. The directory holding it is either given
 * explicitly (both `containerPath` and `hostPath`: the DIRECTORIES containing the pipe, as in Girder
 * Worker, which the caller must mount) or a volume's (mounted automatically). The FIFO is made the
 * first time the pipe resolves in a task, and removed when the task ends.
 */
export abstract class NamedPipe<E extends ResolvedFifo = ResolvedFifo> extends Transform {
  readonly name: string;
  /** The container directory holding the pipe, when given explicitly. */
  readonly containerDir: string | undefined;
  /** The host directory holding the pipe, when given explicitly. */
  readonly hostDir: string | undefined;
  readonly volume: Volume;

  /**
   * @param name the pipe's file name (no directory).
   * @param containerPath the container directory holding the pipe; with `hostPath`, or neither.
   * @param hostPath the host directory holding the pipe; with `containerPath`, or neither.
   * @param volume the volume holding the pipe when no directories are given.
   */
  constructor(
    name: string,
    containerPath?: string,
    hostPath?: string,
    volume: Volume = TemporaryVolume.default,
  ) {
    super();
    if (
      typeof name !== 'string' ||
      name === '' ||
      name === '.' ||
      name === '..' ||
      name.includes('/') ||
      name.includes('\0') ||
      Buffer.byteLength(name) > 255
    ) {
      throw new ValidationError('name', name, 'a plain file name: no "/", not "." or ".."');
    }
    if (containerPath !== undefined && hostPath === undefined) {
      throw new ValidationError(
        'hostPath',
        hostPath,
        'a host directory: containerPath was given, so hostPath must be too',
      );
    }
    if (hostPath !== undefined && containerPath === undefined) {
      throw new ValidationError(
        'containerPath',
        containerPath,
        'a container directory: hostPath was given, so containerPath must be too',
      );
    }
    if (containerPath !== undefined) {
      if (
        typeof containerPath !== 'string' ||
        !path.posix.isAbsolute(containerPath) ||
        containerPath.includes('\0')
      ) {
        throw new ValidationError('containerPath', containerPath, 'an absolute container directory');
      }
    }
    if (hostPath !== undefined) {
      if (typeof hostPath !== 'string' || !path.isAbsolute(hostPath) || hostPath.includes('\0')) {
        throw new ValidationError('hostPath', hostPath, 'an absolute host directory');
      }
    }
    if (!(volume instanceof Volume)) {
      throw new ValidationError('volume', volume, 'a Volume (TemporaryVolume, BindMountVolume...)');
    }
    this.name = name;
    this.containerDir = containerPath === undefined ? undefined : path.posix.normalize(containerPath);
    this.hostDir = hostPath === undefined ? undefined : path.normalize(hostPath);
    this.volume = volume;
  }

  /** Makes the FIFO for this task (once) and returns it as a stream endpoint. */
  endpoint(ctx: TaskContext): Promise<E> {
    return ctx.once(this, async () => {
      let hostDir: string;
      let containerDir: string;
      if (this.hostDir !== undefined && this.containerDir !== undefined) {
        hostDir = this.hostDir;
        containerDir = this.containerDir;
      } else {
        const mount = await this.volume.mount(ctx);
        hostDir = mount.hostPath;
        containerDir = mount.containerPath;
      }
      const hostPath = path.join(hostDir, this.name);
      await ctx.makeFifo(hostPath);
      return this.createEndpoint(hostPath, path.posix.join(containerDir, this.name));
    });
  }

  /** The pipe's path in the container. */
  override async resolve(ctx: TaskContext): Promise<string> {
    return (await this.endpoint(ctx)).containerPath;
  }

  protected abstract createEndpoint(hostPath: string, containerPath: string): E;

  override toString(): string {
    return `${this.constructor.name}(${JSON.stringify(this.name)})`;
  }
}
