import { defaultEngine } from '../docker/default-engine.js';
import { LABEL_KEEP, LABEL_OWNER, LABEL_TASK_ID, isOwnerAlive } from '../docker/ownership.js';
import { removeTempDirs } from '../docker/reaper.js';
import { defaultTempRoot } from '../execution/local-task-context.js';

export interface OrphanReport {
  /** Containers removed. */
  containers: string[];
  /** Temporary directories of their dead owners removed. */
  tempDirs: string[];
}

/**
 * A message delivered again means the worker that had it died (or lost its connection): if it
 * died mid-task on this host, its container may still run. Before the task runs again, the
 * task's containers whose owner process is gone are removed, so that the attempts never overlap
 * and nothing is left behind, and so are that owner's temporary directories. Only this task's
 * containers are looked at: a container of a live owner (the same worker after a reconnect), of
 * another host, or of another task is never touched.
 */
export async function removeOrphanedTaskContainers(taskId: string): Promise<OrphanReport> {
  const engine = defaultEngine();
  const report: OrphanReport = { containers: [], tempDirs: [] };
  const deadOwners = new Set<number>();
  for (const container of await engine.listContainers(`${LABEL_TASK_ID}=${taskId}`)) {
    const owner = container.labels[LABEL_OWNER] ?? '';
    if (container.labels[LABEL_KEEP] === 'true' || !ownerIsDead(owner)) continue;
    await engine.remove(container.id);
    report.containers.push(container.id);
    const pid = Number(owner.split(':')[1]);
    if (Number.isInteger(pid) && pid > 0) deadOwners.add(pid);
  }
  if (deadOwners.size === 0) return report;
  const swept = await removeTempDirs(defaultTempRoot(), (pid) => deadOwners.has(pid));
  report.tempDirs.push(...swept.removed);
  return report;
}

/** `host:pid:start-time` names a process on this host that is gone (see isOwnerAlive). */
export function ownerIsDead(label: string): boolean {
  return isOwnerAlive(label) === false;
}
