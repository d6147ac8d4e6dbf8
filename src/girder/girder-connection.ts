import { registerSecret } from '../core/secrets.js';

/**
 * How a task reaches Girder: Girder Worker's serialized `girder_client.GirderClient` (`gc`) reduced
 * to what a REST client needs. Plain data; never log `token`.
 */
export interface GirderConnection {
  /** The REST API root, e.g. `http://girder:8080/api/v1/` (girder_client's `urlBase`, with its trailing `/`). */
  readonly apiUrl: string;
  /** The `Girder-Token` to send; null for an anonymous client. */
  readonly token: string | null;
}

/** Connections made by `createGirderConnection` (and decoded ones): sent back as a `GirderClient`. */
const connections = new WeakSet<object>();

/**
 * A `GirderConnection` that encodes as a `girder_client.GirderClient` when sent to Python (a plain
 * `{ apiUrl, token }` object literal would go out as a dict). The same connection object used by
 * several transforms is sent once and referenced (`py/id`), as Python does.
 */
export function createGirderConnection(apiUrl: string, token: string | null): GirderConnection {
  registerSecret(token);
  const connection = Object.freeze({ apiUrl, token });
  connections.add(connection);
  return connection;
}

/** True for a connection made by `createGirderConnection` (or decoded from a message). */
export function isGirderConnection(value: unknown): value is GirderConnection {
  return typeof value === 'object' && value !== null && connections.has(value);
}
