import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Every container longshore creates carries these labels. */
export const LABEL_OWNER = 'longshore.owner';
export const LABEL_TASK_ID = 'longshore.task-id';
/** On containers the caller asked to keep (`removeContainer: false`): never reaped. */
export const LABEL_KEEP = 'longshore.keep';

/**
 * host:pid:start-time of this process. The start time guards against a recycled pid making a
 * dead owner look alive (or, worse, a live stranger look like the owner).
 */
export function ownerLabel(pid = process.pid): string {
  return `${hostname()}:${pid}:${readProcessStat(pid)?.startTime ?? 0}`;
}

/** true: the owner runs; false: it is gone; undefined: it is not on this host, so not ours to judge. */
export function isOwnerAlive(label: string): boolean | undefined {
  const [host, pidText, start] = label.split(':');
  if (host !== hostname()) return undefined;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const stat = readProcessStat(pid);
  // A zombie is dead: killed, not yet waited for by its parent (the broker redelivers its
  // messages as soon as its sockets close, before that).
  if (!stat || stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return false;
  return String(stat.startTime) === start;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readProcessStat(pid: number): { state: string; startTime: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}
