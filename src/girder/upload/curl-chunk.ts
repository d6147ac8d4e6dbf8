import { curlAvailable } from '../../direct-io/curl-copy.js';
import { curlUpload } from '../../direct-io/curl-upload.js';
import { findProgram } from '../../direct-io/find-program.js';
import type { GirderClient } from '../girder-client.js';
import { answerError, dropEmpty, jsonOrText, noAnswerError } from '../http/girder-answer.js';
import type { FileChunkRequest } from './send-file-chunk.js';
import { GirderUploadError } from './upload-error.js';

/**
 * Whether this client's chunks can leave a host file by curl: where no raw socket reaches Girder
 * (HTTPS), with no proxy in between, and curl and dd on the PATH.
 */
export async function canSendByCurl(client: GirderClient): Promise<boolean> {
  return (
    !client.rawSocketReaches(client.apiUrl) &&
    client.curlReaches(client.apiUrl) &&
    (await curlAvailable()) &&
    (await findProgram('dd')) !== undefined
  );
}

/**
 * One `POST file/chunk` whose body is a slice of a host file, sent by curl from a dd child: the
 * answer is read as Girder's client reads it (its JSON, or its error in Girder's words); a
 * transfer that fails is an answerless GirderHttpError, which the caller resumes from Girder's
 * offset as it does every broken chunk.
 */
export async function sendChunkByCurl<T>(
  client: GirderClient,
  hostPath: string,
  request: FileChunkRequest,
): Promise<T> {
  const { action, signal } = request;
  const described = { method: 'POST' as const, path: 'file/chunk', action };
  const url = new URL(client.url('file/chunk'));
  for (const [key, value] of Object.entries(dropEmpty(request.query)))
    url.searchParams.set(key, String(value));
  const token = await client.token(signal);
  const got = await curlUpload({
    url: url.href,
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', ...(token ? { 'Girder-Token': token } : {}) },
    hostPath,
    start: request.start,
    length: request.length,
    caFile: client.caFile(),
    idleTimeoutMs: client.policy.timeoutMs,
    signal,
  });
  if (got.readError) {
    throw new GirderUploadError(`Could not ${action}: reading ${hostPath} failed: ${got.readError}`);
  }
  if (got.status === 0) {
    const cause = Object.assign(new Error(got.error ?? `curl exit ${got.exitCode}`), { code: 'ECONNRESET' });
    throw noAnswerError(described, cause);
  }
  const body = jsonOrText(got.body);
  if (got.status >= 400) throw answerError(described, got.status, body);
  return body as T;
}
