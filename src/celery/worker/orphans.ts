import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { defaultEngine } from '../../docker/default-engine.js';
import { LABEL_KEEP, LABEL_OWNER, LABEL_TASK_ID } from '../../docker/ownership.js';
import { removeTempDirs } from '../../docker/reaper.js';
import { defaultTempRoot } from '../../task/local-task-context.js';

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

/**
 * `host:pid:start-time` names a process that is gone: on this host, with no such pid, another
 * process under that pid, or a zombie (killed, not yet waited for by its parent: the broker
 * redelivers its messages as soon as its sockets close, before that).
 */
export function ownerIsDead(label: string): boolean {
  const [host, pidText, start] = label.split(':');
  if (host !== hostname()) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true;
  }
  // The command name (field 2) may hold spaces: count from after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X' || state === 'x') return true;
  return fields[19] !== start;
}
