import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../core/errors.js';
import { TEMP_DIR_PREFIX, defaultTempRoot } from '../execution/local-task-context.js';
import type { DockerEngine } from './engine.js';
import { LABEL_KEEP, LABEL_OWNER, isOwnerAlive, isProcessAlive } from './ownership.js';

export interface ReapReport {
  containers: string[];
  tempDirs: string[];
  errors: string[];
}

/**
 * Removes what a crashed longshore process on this host left behind: its labelled containers and
 * its temporary directories. Live processes' resources are never touched.
 */
export async function reapLeftovers(engine: DockerEngine, tempRoot = defaultTempRoot()): Promise<ReapReport> {
  const report: ReapReport = { containers: [], tempDirs: [], errors: [] };
  for (const container of await engine.listContainers(LABEL_OWNER)) {
    if (container.labels[LABEL_KEEP] === 'true') continue;
    if (isOwnerAlive(container.labels[LABEL_OWNER] ?? '') !== false) continue;
    try {
      await engine.remove(container.id);
      report.containers.push(container.id);
    } catch (error) {
      report.errors.push(messageOf(error));
    }
  }
  const swept = await removeTempDirs(tempRoot, (pid) => !isProcessAlive(pid));
  report.tempDirs.push(...swept.removed);
  report.errors.push(...swept.errors);
  return report;
}

/** Removes the temporary directories under `root` whose owner pid (in their name) `isGone` says is gone. */
export async function removeTempDirs(
  root: string,
  isGone: (pid: number) => boolean,
): Promise<{ removed: string[]; errors: string[] }> {
  const swept = { removed: [] as string[], errors: [] as string[] };
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return swept;
  }
  const ownedDir = new RegExp(`^${TEMP_DIR_PREFIX}(\\d+)-`);
  for (const name of entries) {
    const match = ownedDir.exec(name);
    if (!match || !isGone(Number(match[1]))) continue;
    const dir = join(root, name);
    try {
      await rm(dir, { recursive: true, force: true });
      swept.removed.push(dir);
    } catch (error) {
      swept.errors.push(messageOf(error));
    }
  }
  return swept;
}
