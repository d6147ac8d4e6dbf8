import { getConfiguration } from '../config/configuration.js';
import { GirderConfigError } from './errors.js';
import { GirderClient, type GirderClientOptions } from './girder-client.js';
import type { GirderConnection } from './girder-connection.js';

/**
 * How a running task reaches Girder. A transform that carries its own connection (the `gc` of a
 * message from Python) uses it; every other one uses the task's: the worker's message headers
 * (`girder_api_url`, `girder_client_token`) or `configure({ girder })`.
 */
export interface GirderAccess {
  /** A client for `connection`, or the task's own when it is null or absent. */
  client(connection?: GirderConnection | null): GirderClient;
  /** Where job artifacts go when the server has no artifact route (a folder id). */
  readonly artifactFolderId: string | undefined;
  /** The Girder job that follows this task, if one does. */
  readonly jobId: string | undefined;
}

export interface GirderAccessOptions {
  /** The task's own Girder; without it only transforms with their own connection work. */
  defaults?: GirderClientOptions | undefined;
  artifactFolderId?: string | undefined;
  jobId?: string | undefined;
}

/** One client per connection for the life of a task, so that keys are exchanged once. */
export class GirderClientPool implements GirderAccess {
  readonly artifactFolderId: string | undefined;
  readonly jobId: string | undefined;
  readonly #defaults: GirderClientOptions | undefined;
  #default: GirderClient | undefined;
  readonly #byConnection = new Map<string, GirderClient>();

  constructor(options: GirderAccessOptions = {}) {
    this.#defaults = options.defaults;
    this.artifactFolderId = options.artifactFolderId;
    this.jobId = options.jobId;
  }

  client(connection?: GirderConnection | null): GirderClient {
    if (connection) {
      const key = `${connection.apiUrl}\n${connection.token ?? ''}`;
      let client = this.#byConnection.get(key);
      if (!client) {
        client = new GirderClient({ ...this.#policy(), apiUrl: connection.apiUrl, token: connection.token });
        this.#byConnection.set(key, client);
      }
      return client;
    }
    if (!this.#defaults) {
      throw new GirderConfigError(
        'This task needs Girder, but none is configured: call configure({ girder: { apiUrl, apiKey } }), ' +
          'set LONGSHORE_GIRDER_API_URL, or send the task with girder_api_url and girder_client_token',
      );
    }
    this.#default ??= new GirderClient(this.#defaults);
    return this.#default;
  }

  /** The timeouts, retries, chunk size, CA and proxies of the defaults, for clients of other connections. */
  #policy(): Partial<GirderClientOptions> {
    const { timeoutMs, retries, retryDelayMs, chunkSize, ca, proxy } = this.#defaults ?? {};
    return { timeoutMs, retries, retryDelayMs, chunkSize, ca, proxy };
  }
}

/** A pool with no default: only transforms that carry their own connection reach Girder. */
export const NO_GIRDER: GirderAccess = new GirderClientPool();

/** The Girder of `configure({ girder })` or the environment, for tasks run by this process. */
export function girderAccessFromConfig(): GirderAccess {
  const config = getConfiguration().girder;
  if (!config) return NO_GIRDER;
  const { artifactFolderId, ...defaults } = config;
  return new GirderClientPool({ defaults, artifactFolderId });
}
