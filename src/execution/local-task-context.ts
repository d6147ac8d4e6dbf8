import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ValidationError } from '../core/errors.js';
import { getConfiguration } from '../config/configuration.js';
import { NO_GIRDER, type GirderAccess } from '../girder/girder-access.js';
import type { GirderClient } from '../girder/girder-client.js';
import type { GirderConnection } from '../girder/girder-connection.js';
import { makeFifo } from '../streams/make-fifo.js';
import type { StreamSink, StreamSource, VolumeMount } from './endpoints.js';
import { CleanupStack } from './cleanup-stack.js';
import { EventReporter, type Reporter } from './reporter.js';
import type { TaskContext } from './task-context.js';

/** Container paths of temporary volumes, as Girder Worker mounts them. */
export const TEMP_VOLUME_MOUNT_PREFIX = '/mnt/girder_worker';

/** Temp directories carry the owner's pid so that a later process can reap a crashed one's leftovers. */
export const TEMP_DIR_PREFIX = 'longshore-';

export interface LocalTaskContextOptions {
  taskId?: string;
  tempRoot?: string;
  signal?: AbortSignal;
  reporter?: Reporter;
  /**
   * Removes a tree this process may not be allowed to delete (files a container wrote as another
   * user). The docker layer supplies one that runs a helper container.
   */
  forceRemove?: (hostPath: string) => Promise<void>;
  /** How the task reaches Girder (none by default). */
  girder?: GirderAccess | undefined;
}

export interface Connection {
  source: StreamSource;
  sink: StreamSink;
}

const DEFAULT_VOLUME_KEY = {};

export class LocalTaskContext implements TaskContext {
  readonly taskId: string;
  readonly signal: AbortSignal;
  readonly reporter: Reporter;
  readonly cleanup = new CleanupStack();
  readonly tempRoot: string;
  readonly #memo = new WeakMap<object, Promise<unknown>>();
  readonly #mounts = new Map<string, VolumeMount>();
  readonly #connections: Connection[] = [];
  readonly #forceRemove: ((hostPath: string) => Promise<void>) | undefined;
  readonly #girder: GirderAccess;

  constructor(options: LocalTaskContextOptions = {}) {
    this.taskId = options.taskId ?? randomUUID();
    this.signal = options.signal ?? new AbortController().signal;
    this.reporter = options.reporter ?? new EventReporter();
    this.tempRoot = options.tempRoot ?? defaultTempRoot();
    this.#forceRemove = options.forceRemove;
    this.#girder = options.girder ?? NO_GIRDER;
  }

  girder(connection?: GirderConnection | null): GirderClient {
    return this.#girder.client(connection);
  }

  get artifactFolderId(): string | undefined {
    return this.#girder.artifactFolderId;
  }

  get girderJobId(): string | undefined {
    return this.#girder.jobId;
  }

  once<T>(key: object, make: () => Promise<T>): Promise<T> {
    let value = this.#memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = make();
      this.#memo.set(key, value);
    }
    return value;
  }

  defaultVolume(): Promise<VolumeMount> {
    return this.once(DEFAULT_VOLUME_KEY, async () => {
      const mount: VolumeMount = {
        hostPath: await this.makeTempDir(),
        containerPath: `${TEMP_VOLUME_MOUNT_PREFIX}/${randomUUID().replaceAll('-', '')}`,
        mode: 'rw',
      };
      this.mount(mount);
      return mount;
    });
  }

  async makeTempDir(hostDir?: string): Promise<string> {
    const dir = await mkdtemp(join(hostDir ?? this.tempRoot, `${TEMP_DIR_PREFIX}${process.pid}-`));
    this.cleanup.defer(`remove temporary directory ${dir}`, () => this.#removeTree(dir));
    // Containers often run as another user: let them write, and keep the group on new files.
    await chmod(dir, 0o2777);
    return dir;
  }

  mount(mount: VolumeMount): void {
    // '/data/' and '/data' are one mount point: the engine refuses them as duplicates.
    const containerPath = posix.normalize(mount.containerPath).replace(/(?<=.)\/+$/, '');
    mount = { ...mount, containerPath };
    const existing = this.#mounts.get(mount.containerPath);
    if (existing && existing.hostPath !== mount.hostPath) {
      throw new ValidationError(
        'volumes',
        mount.containerPath,
        `container path already mounted from ${existing.hostPath}`,
      );
    }
    if (!existing) this.#mounts.set(mount.containerPath, mount);
  }

  async makeFifo(hostPath: string): Promise<void> {
    await makeFifo(hostPath);
    this.cleanup.defer(`remove FIFO ${hostPath}`, () => rm(hostPath, { force: true }));
  }

  connect(source: StreamSource, sink: StreamSink): void {
    this.#connections.push({ source, sink });
  }

  mountList(): VolumeMount[] {
    return [...this.#mounts.values()];
  }

  connectionList(): readonly Connection[] {
    return this.#connections;
  }

  dispose(): Promise<Error[]> {
    return this.cleanup.dispose();
  }

  async #removeTree(dir: string): Promise<void> {
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (!this.#forceRemove || (code !== 'EACCES' && code !== 'EPERM')) throw error;
      await this.#forceRemove(dir);
      await rm(dir, { recursive: true, force: true });
    }
  }
}

export function defaultTempRoot(): string {
  return getConfiguration().tmpRoot;
}
