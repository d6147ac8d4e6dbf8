// Test hosts on this machine: network namespaces (`ip netns`, Debian's iproute2), each with a
// veth whose other end is on a bridge of the root namespace, all in one private /24 of their own.
// The bridge holds .1 (the root namespace, where RabbitMQ runs); the hosts are .2, .3, ...
// Names carry this process's id, so that a later run can sweep what a killed run left.
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PREFIX = 'lstest-';

export interface VirtualHost {
  /** The namespace's name: run commands in it with `ip netns exec <ns> ...`. */
  readonly ns: string;
  readonly address: string;
}

export interface VirtualNetwork {
  /** The root namespace's address on the bridge: what the hosts dial to reach the broker. */
  readonly gateway: string;
  readonly hosts: readonly VirtualHost[];
  /** Removes the namespaces, links and bridge; safe to call twice and after a partial setup. */
  destroy(): Promise<void>;
}

async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args, { timeout: 30_000 })).stdout;
}

async function quietly(...args: string[]): Promise<void> {
  await ip(...args).catch(() => undefined);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A 10.x.y.0/24 that no address or route on this machine uses yet. */
async function freeSubnet(): Promise<string> {
  const used = (await ip('-4', 'addr')) + (await ip('-4', 'route'));
  for (let i = 0; i < 50; i++) {
    const prefix = `10.${randomInt(200, 250)}.${randomInt(1, 255)}`;
    if (!used.includes(`${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.x.y.0/24 found for the test network');
}

/** Namespaces and bridges of test runs whose process is gone (killed before its cleanup). */
export async function sweepStale(): Promise<void> {
  const namespaces = (await ip('netns', 'list')).split('\n').map((l) => l.split(' ')[0] ?? '');
  for (const ns of namespaces) {
    const pid = Number(ns.startsWith(PREFIX) ? ns.split('-')[1] : NaN);
    if (Number.isInteger(pid) && !alive(pid)) await quietly('netns', 'del', ns);
  }
  // Bridges are named lsbr<pid in hex>x<random>: see createNetwork.
  for (const line of (await ip('-o', 'link', 'show', 'type', 'bridge')).split('\n')) {
    const match = /^\d+: (lsbr([0-9a-f]+)x[0-9a-f]+)[:@]/.exec(line);
    if (match && !alive(parseInt(match[2]!, 16))) await quietly('link', 'del', match[1]!);
  }
}

/** Makes `count` hosts on a new bridge. */
export async function createNetwork(count: number): Promise<VirtualNetwork> {
  const tag = randomBytes(2).toString('hex');
  // Interface names are at most 15 characters.
  const bridge = `lsbr${process.pid.toString(16)}x${tag}`.slice(0, 15);
  const subnet = await freeSubnet();
  const gateway = `${subnet}.1`;
  const hosts: VirtualHost[] = [];
  const rootEnds: string[] = [];
  const destroy = async (): Promise<void> => {
    // Deleting a namespace deletes its end of the veth, and with it the root end.
    for (const host of hosts) await quietly('netns', 'del', host.ns);
    for (const end of rootEnds) await quietly('link', 'del', end);
    await quietly('link', 'del', bridge);
  };
  try {
    await ip('link', 'add', bridge, 'type', 'bridge');
    await ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    for (let i = 0; i < count; i++) {
      const ns = `${PREFIX}${process.pid}-${tag}-${i}`;
      const rootEnd = `lsv${tag}${i}r`;
      const hostEnd = `lsv${tag}${i}h`;
      await ip('netns', 'add', ns);
      hosts.push({ ns, address: `${subnet}.${i + 2}` });
      await ip('link', 'add', rootEnd, 'type', 'veth', 'peer', 'name', hostEnd);
      rootEnds.push(rootEnd);
      await ip('link', 'set', hostEnd, 'netns', ns);
      await ip('-n', ns, 'link', 'set', hostEnd, 'name', 'eth0');
      await ip('-n', ns, 'addr', 'add', `${subnet}.${i + 2}/24`, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('link', 'set', rootEnd, 'master', bridge);
      await ip('link', 'set', rootEnd, 'up');
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  return { gateway, hosts, destroy };
}

/** True when a TCP connection from inside `ns` to host:port is accepted. */
export async function canConnect(ns: string, host: string, port: number): Promise<boolean> {
  try {
    await run('ip', ['netns', 'exec', ns, 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], {
      timeout: 10_000,
    });
    return true;
  } catch {
    return false;
  }
}
