import { z } from 'zod';
import { GirderHttpError } from '../errors.js';
import type { GirderClient } from '../girder-client.js';

const versionSchema = z.looseObject({ release: z.string().optional(), apiVersion: z.string().optional() });

/** One lookup per client, as girder_client caches `getServerVersion()`. */
const versions = new WeakMap<GirderClient, Promise<number[] | null>>();

/**
 * The server's version as numbers (`GET system/version`: `release` since Girder 3, `apiVersion`
 * before), or null when the server does not say: callers then take the path every version has.
 */
export function serverVersion(client: GirderClient, signal?: AbortSignal): Promise<number[] | null> {
  let version = versions.get(client);
  if (!version) {
    version = lookUp(client, signal);
    versions.set(client, version);
    // A failed lookup (a cancelled task, an unreachable server) is not remembered.
    version.catch(() => versions.delete(client));
  }
  return version;
}

async function lookUp(client: GirderClient, signal: AbortSignal | undefined): Promise<number[] | null> {
  let body: unknown;
  try {
    body = await client.get<unknown>('system/version', undefined, {
      signal,
      action: 'ask the Girder version',
    });
  } catch (error) {
    if (error instanceof GirderHttpError && error.status !== null && error.status < 500) return null;
    throw error;
  }
  const parsed = versionSchema.safeParse(body);
  const text = parsed.success ? (parsed.data.release ?? parsed.data.apiVersion) : undefined;
  if (!text) return null;
  // girder_client keeps at most three components; the fourth and later are not compared.
  return text
    .split('.', 3)
    .map((part) => Number.parseInt(part, 10))
    .map((n) => (Number.isNaN(n) ? 0 : n));
}

/** a ≥ b, component by component (girder_client compares lists of strings; numbers are meant). */
export function versionAtLeast(version: readonly number[], minimum: readonly number[]): boolean {
  for (let i = 0; i < minimum.length; i++) {
    const a = version[i] ?? 0;
    const b = minimum[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}
