// Nothing assumes one host: two `longshore worker` processes, each in a network namespace of its
// own (a test host with its own address), reach RabbitMQ over a virtual network as workers on
// other machines would, and the tasks sent from here spread over both. Only the Docker engine is
// shared, through its Unix socket, as each real host would have its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configure, dockerRun } from '../../src/index.js';
import { BUSYBOX, listTaskContainers } from '../helpers/docker.js';
import { useBroker } from '../celery/helpers/broker.js';
import { EventTap } from '../celery/helpers/event-tap.js';
import { BROKER } from '../celery/helpers/broker.js';
import {
  connectionPeers,
  createBrokerUser,
  sweepStaleUsers,
  type BrokerUser,
} from './helpers/broker-user.js';
import { NamespacedWorker } from './helpers/ns-worker.js';
import { canConnect, createNetwork, sweepStale, type VirtualNetwork } from './helpers/virtual-hosts.js';

const TASKS = 10;

const broker = useBroker();
let network: VirtualNetwork | undefined;
let user: BrokerUser | undefined;
const workers: NamespacedWorker[] = [];

beforeAll(async () => {
  await sweepStale();
  await sweepStaleUsers();
  network = await createNetwork(2);
  user = await createBrokerUser();
});

// Always, even when the test failed half-way: workers first (a namespace lives while a process
// is in it), then the namespaces, links and bridge, then the broker user.
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await network?.destroy();
  await user?.delete();
});

describe('workers on two hosts', () => {
  it('reach the broker over the network and share the tasks, which all succeed', async () => {
    const { gateway, hosts } = network!;
    for (const host of hosts) {
      // RabbitMQ listens on all interfaces by default: the bridge's address answers.
      expect(await canConnect(host.ns, gateway, 5672), `${host.ns} reaches ${gateway}:5672`).toBe(true);
    }

    const queue = broker.queue('two-hosts');
    const names = hosts.map((h, i) => `host${i}@${h.ns}`);
    hosts.forEach((host, i) => {
      workers.push(
        new NamespacedWorker(host.ns, user!.url(gateway), [
          '--queues',
          queue,
          '--concurrency',
          '1',
          '--hostname',
          names[i]!,
        ]),
      );
    });
    await Promise.all(workers.map((w) => w.waitFor(/Connected to amqp:\/\//)));
    // The broker sees each worker come from its own host's address, not from loopback.
    await expect
      .poll(async () => (await connectionPeers(user!.name)).sort(), { timeout: 15_000 })
      .toEqual(expect.arrayContaining(hosts.map((h) => h.address)));

    const tap = await EventTap.open();
    try {
      // Both must be consuming before the first send, or one could take them all.
      // (worker-online may have gone before the tap was bound; a heartbeat comes every 2 s.)
      await tap.until((events) =>
        names.every((n) => events.some((e) => e.body.hostname === n && /^worker-/.test(String(e.body.type)))),
      );
      configure({ broker: BROKER });
      const handles = Array.from({ length: TASKS }, (_, i) =>
        dockerRun.applyAsync(
          [BUSYBOX],
          { pullImage: false, containerArgs: ['sh', '-c', `sleep 0.3; echo task ${i}`] },
          { queue },
        ),
      );
      const results = await Promise.all(handles.map((h) => h.get({ timeout: 90_000 })));
      expect(results).toEqual(handles.map(() => ({ exitCode: 0, hookResults: [] })));

      const ids = new Set(handles.map((h) => h.id));
      await tap.until(
        (events) =>
          events.filter((e) => e.body.type === 'task-succeeded' && ids.has(String(e.body.uuid))).length ===
          TASKS,
      );
      const ranOn = new Map<string, number>();
      for (const e of tap.events) {
        if (e.body.type !== 'task-succeeded' || !ids.has(String(e.body.uuid))) continue;
        const host = String(e.body.hostname);
        ranOn.set(host, (ranOn.get(host) ?? 0) + 1);
      }
      for (const name of names) expect(ranOn.get(name), `tasks run by ${name}`).toBeGreaterThanOrEqual(1);
      expect([...ranOn.values()].reduce((a, b) => a + b, 0)).toBe(TASKS);

      // Each worker removed its containers.
      for (const handle of handles) expect(await listTaskContainers(handle.id)).toEqual([]);
    } finally {
      await tap.close();
    }
    await Promise.all(workers.map((w) => w.stop()));
    for (const worker of workers) expect(worker.output).not.toContain(user!.password);
  });
});
