import { getConfiguration } from '../../config/configuration.js';
import { registerSecret } from '../../core/secrets.js';
import { GirderClientPool, type GirderAccess } from '../../girder/girder-access.js';
import { GirderClient, type GirderClientOptions } from '../../girder/girder-client.js';
import type { HttpMethod } from '../../girder/http/girder-http.js';

/**
 * Where and how a worker updates a Girder job: the `jobInfoSpec` header Girder (and a longshore
 * client) sends with a task. Updates are form-encoded `PUT`s to `url` with `headers` (the job's
 * own token, scoped to that job).
 */
export interface JobInfoSpec {
  method?: string | undefined;
  url: string;
  /** The job's id. */
  reference?: string | null | undefined;
  headers?: Record<string, string> | undefined;
  /** Girder Worker tees stdout and stderr into the job log when true (its default). */
  logPrint?: boolean | undefined;
}

/** The spec Girder's worker plugin builds (`utils.jobInfoSpec`) for a job and its token. */
export function buildJobInfoSpec(apiUrl: string, jobId: string, token: string): JobInfoSpec {
  registerSecret(token);
  return {
    method: 'PUT',
    url: `${apiUrl.replace(/\/+$/, '')}/job/${jobId}`,
    reference: jobId,
    headers: { 'Girder-Token': token },
    logPrint: true,
  };
}

const METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'POST', 'PUT', 'DELETE']);

/** The spec's method, upper-cased; PUT when it names none (or one longshore cannot send). */
export function specMethod(spec: JobInfoSpec): HttpMethod {
  const method = spec.method?.toUpperCase() ?? 'PUT';
  return METHODS.has(method) ? (method as HttpMethod) : 'PUT';
}

/** The job's id: the spec's reference, else the last segment of its URL. */
export function specJobId(spec: JobInfoSpec): string | undefined {
  if (spec.reference) return spec.reference;
  return /\/job\/([^/?#]+)\/?(?:[?#].*)?$/.exec(spec.url)?.[1];
}

export interface JobClientPolicy {
  timeoutMs?: number | undefined;
  retries?: number | undefined;
  retryDelayMs?: number | undefined;
}

/**
 * A client for the spec's URL. Its own token is never sent (`requestUrl` sends the spec's headers
 * only); it brings the timeouts and retries. Few retries: a job update that cannot get through
 * must not hold the task up for long, and the next update tries again anyway.
 */
export function jobUpdateClient(spec: JobInfoSpec, policy: JobClientPolicy = {}): GirderClient {
  const apiUrl = spec.url.replace(/\/job\/[^/]+\/?$/, '');
  return new GirderClient({
    apiUrl: /^https?:\/\/[^\s]+$/.test(apiUrl) ? apiUrl : new URL(spec.url).origin,
    timeoutMs: policy.timeoutMs ?? 30_000,
    retries: policy.retries ?? 2,
    retryDelayMs: policy.retryDelayMs ?? 200,
  });
}

export interface TaskGirderHeaders {
  apiUrl?: string | undefined;
  token?: string | undefined;
  jobId?: string | undefined;
}

/**
 * How a worker's task reaches Girder: the message's `girder_api_url` and `girder_client_token`
 * (what Girder sends, for transforms whose own `gc` is null), else `configure({ girder })` or the
 * environment; either way knowing the job that follows the task (artifacts default to it).
 */
export function taskGirderAccess(headers: TaskGirderHeaders): GirderAccess {
  const config = getConfiguration().girder;
  let defaults: GirderClientOptions | undefined;
  if (headers.apiUrl) {
    const { timeoutMs, retries, retryDelayMs, chunkSize } = config ?? {};
    defaults = {
      apiUrl: headers.apiUrl,
      token: headers.token ?? null,
      timeoutMs,
      retries,
      retryDelayMs,
      chunkSize,
    };
  } else if (config) {
    const { artifactFolderId: _folder, ...configured } = config;
    defaults = configured;
  }
  return new GirderClientPool({ defaults, artifactFolderId: config?.artifactFolderId, jobId: headers.jobId });
}
