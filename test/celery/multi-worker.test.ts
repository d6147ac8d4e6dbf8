// Several `longshore worker` processes on one queue: thirty tasks each run exactly once, spread
// over the three; a worker killed with SIGKILL mid-task: its task runs to completion on another,
// which first removes the dead worker's container and temporary directory.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOCKER_RUN_TASK_NAME, configure, dockerRun } from '../../src/index.js';
import {
  BUSYBOX,
  CONFORMANCE,
  LABEL_OWNER,
  listTaskContainers,
  waitForRunningTaskContainer,
} from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { BROKER, useBroker } from './helpers/broker.js';
import { EventTap } from './helpers/event-tap.js';
import { useWorkerProcesses, type WorkerProcess } from './helpers/worker-process.js';

const leaks = useLeakChecks({ fds: false });
const broker = useBroker();
const spawnWorker = useWorkerProcesses();

interface Node {
  hostname: string;
  process: WorkerProcess;
}

/** `count` worker processes on `queue`, each ready (its worker-online event seen). */
async function startWorkers(tap: EventTap, queue: string, label: string, count: number): Promise<Node[]> {
  const nodes = Array.from({ length: count }, (_, i) => {
    const hostname = broker.hostname(`${label}${i + 1}`);
    const args = ['--queues', queue, '--concurrency', '2', '--hostname', hostname];
    return { hostname, process: spawnWorker(args, { LONGSHORE_TMP_ROOT: leaks.tempRoot }) };
  });
  await tap.until(
    (events) =>
      nodes.every((n) =>
        events.some((e) => e.body.hostname === n.hostname && e.body.type === 'worker-online'),
      ),
    60_000,
  );
  return nodes;
}

/** Ids of the tasks a worker's log says it ran to success. */
function succeededIn(node: Node): string[] {
  return [...node.process.output.matchAll(/\[([0-9a-f-]{36})\] succeeded in/g)].map((m) => m[1]!);
}

/** Resolves once every node's worker-offline came (its events all came before it). */
function untilOffline(tap: EventTap, nodes: readonly Node[]): Promise<void> {
  return tap.until((events) =>
    nodes.every((n) =>
      events.some((e) => e.body.hostname === n.hostname && e.body.type === 'worker-offline'),
    ),
  );
}

async function stopAll(nodes: readonly Node[]): Promise<void> {
  for (const node of nodes) node.process.kill('SIGTERM');
  for (const node of nodes) {
    const exit = await node.process.exited;
    if (node.process.child.signalCode !== 'SIGKILL') expect(exit.code).toBe(0);
  }
}

describe('three worker processes on one broker', () => {
  it('thirty tasks: each runs exactly once, spread over the three workers', async () => {
    const queue = broker.queue('three');
    const tap = await EventTap.open();
    try {
      const nodes = await startWorkers(tap, queue, 'w', 3);
      configure({ broker: BROKER });
      const handles = Array.from({ length: 30 }, () =>
        dockerRun.applyAsync([BUSYBOX], { pullImage: false, entrypoint: ['true'] }, { queue }),
      );
      const results = await Promise.all(handles.map((h) => h.get({ timeout: 90_000 })));
      expect(results).toEqual(handles.map(() => ({ exitCode: 0, hookResults: [] })));
      const ids = handles.map((h) => h.id).sort();

      // The logs (each line written just after its result went out): every task succeeded on
      // exactly one worker, once.
      await expect
        .poll(() => nodes.flatMap(succeededIn).length, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(30);
      expect(nodes.flatMap(succeededIn).sort()).toEqual(ids);
      // The events agree (all in once the workers have said they are offline): one
      // task-received, task-started and task-succeeded per task, from that worker.
      await stopAll(nodes);
      await untilOffline(tap, nodes);
      for (const type of ['task-received', 'task-started', 'task-succeeded']) {
        const of = tap.events.filter((e) => e.body.type === type && ids.includes(e.body.uuid as string));
        expect(of.map((e) => e.body.uuid).sort(), type).toEqual(ids);
      }
      const byWorker = nodes.map((n) => succeededIn(n).length);
      for (const count of byWorker)
        expect(count, `tasks per worker: ${byWorker.join(', ')}`).toBeGreaterThan(0);
      for (const node of nodes) {
        const mine = new Set(succeededIn(node));
        const started = tap.events.filter(
          (e) => e.body.type === 'task-started' && mine.has(e.body.uuid as string),
        );
        expect(started.every((e) => e.body.hostname === node.hostname)).toBe(true);
      }
      expect(await broker.admin.depth(queue)).toBe(0);
    } finally {
      await tap.close();
    }
  });

  it("a worker killed with SIGKILL mid-task: another runs the task to completion and removes the dead one's container", async () => {
    const queue = broker.queue('killed');
    const tap = await EventTap.open();
    try {
      const nodes = await startWorkers(tap, queue, 'k', 3);
      configure({ broker: BROKER });
      const handle = dockerRun.applyAsync(
        [CONFORMANCE],
        { pullImage: false, containerArgs: ['sleep', '-s', '4'] },
        { queue },
      );
      const first = await waitForRunningTaskContainer(handle.id);
      const owner = (await listTaskContainers(handle.id)).find((c) => c.id === first)!.labels[LABEL_OWNER]!;
      const victim = nodes.find((n) => owner.split(':')[1] === String(n.process.pid))!;
      expect(victim, `the container's owner ${owner}`).toBeDefined();
      victim.process.kill('SIGKILL');
      await victim.process.exited;

      await expect(handle.get({ timeout: 60_000 })).resolves.toEqual({ exitCode: 0, hookResults: [] });
      const survivors = nodes.filter((n) => n !== victim);
      const finisherOf = (): Node | undefined => survivors.find((n) => succeededIn(n).includes(handle.id));
      await expect.poll(finisherOf, { timeout: 10_000 }).toBeDefined();
      const finisher = finisherOf();
      // It saw the dead worker's container still there (the task sleeps 4 s) and removed it, and
      // its directory, before running the task again.
      expect(finisher!.process.output).toMatch(
        new RegExp(
          `${DOCKER_RUN_TASK_NAME.replace(/\./g, '\\.')}\\[${handle.id}\\] delivered again: ` +
            'removed 1 container\\(s\\) and 1 temporary directory',
        ),
      );
      // Nothing of the task is left: no container, no directory.
      expect(await listTaskContainers(handle.id)).toEqual([]);
      await expect.poll(() => readdirSync(leaks.tempRoot), { timeout: 5_000 }).toEqual([]);
      await stopAll(survivors);
      await untilOffline(tap, survivors);
      // It ran to completion once more, and once only.
      const succeeded = tap.events.filter(
        (e) => e.body.type === 'task-succeeded' && e.body.uuid === handle.id,
      );
      expect(succeeded.map((e) => e.body.hostname)).toEqual([finisher!.hostname]);
    } finally {
      await tap.close();
    }
  });
});
