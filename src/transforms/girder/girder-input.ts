import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../../core/errors.js';
import type { TaskContext } from '../../execution/task-context.js';
import type { VolumeMount } from '../../execution/endpoints.js';
import { Volume } from '../volume.js';
import { checkConnection, checkObjectId } from '../../girder/girder-args.js';
import type { GirderConnection } from '../../girder/girder-connection.js';
import { makeDir } from '../../girder/download/download-to-disk.js';

/** The id and connection every Girder input takes, checked at construction. */
export function checkGirderArgs(
  field: string,
  id: unknown,
  gc: unknown,
): { id: string; gc: GirderConnection | null } {
  return { id: checkObjectId(field, id), gc: checkConnection(gc) };
}

export function checkVolume(volume: unknown): void {
  if (!(volume instanceof Volume)) {
    throw new ValidationError('volume', volume, 'a Volume (TemporaryVolume, BindMountVolume...)');
  }
}

/** A path relative to a volume that stays inside it (as VolumePath requires). */
export function checkRelativeName(field: string, name: unknown): string {
  if (typeof name !== 'string' || name === '' || name.includes('\0')) {
    throw new ValidationError(field, name, 'a non-empty path relative to the volume');
  }
  if (path.posix.isAbsolute(name))
    throw new ValidationError(field, name, 'a relative path, not an absolute one');
  const normalized = path.posix.normalize(name);
  if (normalized === '.' || normalized === '..' || normalized.startsWith('../')) {
    throw new ValidationError(field, name, 'a path inside the volume; it escapes it with ..');
  }
  return normalized;
}

export interface InputTarget {
  mount: VolumeMount;
  /** Host path of the directory made for this download (removed when the task ends). */
  hostDir: string;
}

/**
 * The download's place in its volume: `<volume>/<dir>`, made now and removed at the end of the
 * task, so that inputs never outlive it even in a bind-mounted volume. Reports the task's
 * FETCHING_INPUT phase: the container does not run until its inputs are in.
 */
export async function prepareInput(
  ctx: TaskContext,
  volume: Volume,
  dir: string | undefined,
): Promise<InputTarget> {
  ctx.reporter.phase('fetching-input');
  const mount = await volume.mount(ctx);
  const hostDir = dir === undefined ? mount.hostPath : path.join(mount.hostPath, dir);
  if (dir !== undefined) {
    await makeDir(hostDir);
    ctx.cleanup.defer(`remove downloaded ${hostDir}`, () => rm(hostDir, { recursive: true, force: true }));
  }
  return { mount, hostDir };
}

/** Removes a downloaded file when the task ends. */
export function removeAtEnd(ctx: TaskContext, hostPath: string): void {
  ctx.cleanup.defer(`remove downloaded ${hostPath}`, () => rm(hostPath, { recursive: true, force: true }));
}

export function containerPathOf(target: InputTarget, hostPath: string): string {
  const relative = path.relative(target.mount.hostPath, hostPath).split(path.sep).join('/');
  return path.posix.join(target.mount.containerPath, relative);
}

export type GirderConnectionArg = GirderConnection | null | undefined;
