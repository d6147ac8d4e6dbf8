// A RabbitMQ user of the test's own, for workers that connect from another (virtual) host:
// RabbitMQ's default `loopback_users` refuses guest from anything but 127.0.0.1.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PREFIX = 'lstest-';

async function rabbitmqctl(...args: string[]): Promise<string> {
  return (await run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 })).stdout;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface BrokerUser {
  readonly name: string;
  readonly password: string;
  /** The broker URL for this user at `host` (default vhost). */
  url(host: string): string;
  delete(): Promise<void>;
}

/** Users of earlier test runs whose process is gone (killed before its cleanup). */
export async function sweepStaleUsers(): Promise<void> {
  const names = (await rabbitmqctl('list_users')).split('\n').map((l) => l.split(/\s/)[0] ?? '');
  for (const name of names) {
    const pid = Number(name.startsWith(PREFIX) ? name.split('-')[1] : NaN);
    if (Number.isInteger(pid) && !alive(pid)) await rabbitmqctl('delete_user', name).catch(() => '');
  }
}

/** A user with full rights on the default vhost '/'. */
export async function createBrokerUser(): Promise<BrokerUser> {
  const name = `${PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  await rabbitmqctl('add_user', name, password);
  const remove = async (): Promise<void> => {
    await rabbitmqctl('delete_user', name).catch(() => '');
  };
  try {
    await rabbitmqctl('set_permissions', '-p', '/', name, '.*', '.*', '.*');
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    name,
    password,
    url: (host) => `amqp://${name}:${password}@${host}:5672//`,
    delete: remove,
  };
}

/** Peer addresses of this user's connections, as the broker sees them. */
export async function connectionPeers(user: string): Promise<string[]> {
  const lines = (await rabbitmqctl('list_connections', 'user', 'peer_host')).split('\n');
  return lines
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols[0] === user && cols[1] !== undefined)
    .map((cols) => cols[1]!);
}
