import { onConfigurationChange, type GirderConfig } from '../config/configuration.js';
import { GirderClient } from './girder-client.js';
import { createGirderConnection, type GirderConnection } from './girder-connection.js';

interface Entry {
  client: GirderClient;
  connection: GirderConnection | Promise<GirderConnection> | undefined;
}

/**
 * One client per Girder setting for the messages this process sends, so that an API key is
 * exchanged once, and a task's `gc` and its job's `girder_client_token` carry the same token.
 * Keyed by the settings themselves (the environment's are read anew at each call); dropped when
 * `configure()` changes them.
 */
const entries = new Map<string, Entry>();
onConfigurationChange(() => entries.clear());

function entryFor(config: GirderConfig): Entry {
  const { artifactFolderId: _folder, ...options } = config;
  const key = JSON.stringify(options);
  let entry = entries.get(key);
  if (!entry) {
    entry = { client: new GirderClient(options), connection: undefined };
    entries.set(key, entry);
  }
  return entry;
}

/** The client of the configured Girder that a sending process uses (`POST job`, the API key's token). */
export function clientGirderClient(config: GirderConfig): GirderClient {
  return entryFor(config).client;
}

/**
 * The configured Girder as the `gc` a message's Girder transforms carry: what Girder itself
 * serializes, so a Python Girder Worker (which reads only `gc`) reaches the same Girder. Known at
 * once with a token (or none: an anonymous client); with an API key, once it is exchanged (the
 * promise rejects with that exchange's GirderHttpError; the next call tries again).
 */
export function clientGirderConnection(config: GirderConfig): GirderConnection | Promise<GirderConnection> {
  const entry = entryFor(config);
  if (entry.connection) return entry.connection;
  const { client } = entry;
  if (config.token || !config.apiKey) {
    entry.connection = createGirderConnection(client.apiUrl, config.token ?? null);
    return entry.connection;
  }
  const pending = client.token().then(
    (token) => {
      const connection = createGirderConnection(client.apiUrl, token);
      entry.connection = connection;
      return connection;
    },
    (error: unknown) => {
      entry.connection = undefined;
      throw error;
    },
  );
  entry.connection = pending;
  return pending;
}
