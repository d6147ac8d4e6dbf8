import type { ParsedApplyOptions } from '../celery/client/apply-options.js';
import type { TaskHandle } from '../execution/task-handle.js';
import { encodeTaskBody } from '../girder-worker/classes/index.js';
import { CeleryClient, type WireCall } from '../celery/client/celery-client.js';
import type { BrokerTlsOptions } from '../config/broker-tls.js';

export type { WireCall } from '../celery/client/celery-client.js';

/** One client per broker URL and TLS settings, made on first use. */
const clients = new Map<string, CeleryClient>();

/** The process's client for `brokerUrl` (created on first use; a closed one is replaced). */
export function celeryClient(brokerUrl: string, tls?: BrokerTlsOptions): CeleryClient {
  const key = JSON.stringify([brokerUrl, tls ?? null]);
  let client = clients.get(key);
  if (!client || client.closed) {
    client = new CeleryClient(brokerUrl, { encodeBody: encodeTaskBody, tls });
    clients.set(key, client);
  }
  return client;
}

/** How `Task.applyAsync` sends a call when a broker is configured. */
export function sendTask<R>(
  brokerUrl: string,
  name: string,
  call: WireCall,
  options: ParsedApplyOptions,
  tls?: BrokerTlsOptions,
): TaskHandle<R> {
  return celeryClient(brokerUrl, tls).send<R>(name, call, options);
}

/**
 * Closes every client connection this process opened, so that a script can exit. Tasks still
 * waiting for their results reject. Safe to call more than once; later sends connect again.
 */
export async function closeAll(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map((client) => client.close()));
}
