import { defaultEngine } from '../docker/default-engine.js';
import { LABEL_OWNER, LABEL_TASK_ID, ownerLabel } from '../docker/ownership.js';

/**
 * Kills (docker stop with no grace: SIGKILL at once) the containers this process runs for a
 * task, found by their labels. For the hard time limit and `revoke(terminate, signal='SIGKILL')`;
 * the task itself then sees its container exit and cleans up as usual.
 */
export async function killTaskContainers(taskId: string): Promise<void> {
  const engine = defaultEngine();
  const owner = ownerLabel();
  const containers = await engine.listContainers(`${LABEL_TASK_ID}=${taskId}`);
  await Promise.all(
    containers
      .filter((c) => c.labels[LABEL_OWNER] === owner)
      .map((c) => engine.stop(c.id, 0).catch(() => undefined)),
  );
}
