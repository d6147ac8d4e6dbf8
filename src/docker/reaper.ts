import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../errors.js';
import { TEMP_DIR_PREFIX, defaultTempRoot } from '../task/local-task-context.js';
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
  let entries: string[];
  try {
    entries = await readdir(tempRoot);
  } catch {
    return report;
  }
  for (const name of entries) {
    const match = new RegExp(`^${TEMP_DIR_PREFIX}(\\d+)-`).exec(name);
    if (!match || isProcessAlive(Number(match[1]))) continue;
    const dir = join(tempRoot, name);
    try {
      await rm(dir, { recursive: true, force: true });
      report.tempDirs.push(dir);
    } catch (error) {
      report.errors.push(messageOf(error));
    }
  }
  return report;
}
