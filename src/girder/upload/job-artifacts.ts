import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { GirderHttpError } from '../errors.js';
import type { GirderClient } from '../girder-client.js';
import { fileBody } from './upload-body.js';
import { listLocalDir, type Warn } from './local-files.js';
import { guessMimeType } from './mime-type.js';
import { sendBody, withRetries } from './send-body.js';
import { uploadFileToFolder } from './upload-file-to-folder.js';
import { createFolder } from './upload-path-to-folder.js';

/** The route Girder Worker posts artifacts to; it exists only in unmerged 2018 Girder commits. */
export const ARTIFACT_ROUTE = 'POST job/{id}/artifact';

export interface JobArtifactOptions {
  jobId: string;
  /** The artifact's name when the path is one file (its own name by default). */
  name?: string | null | undefined;
  signal?: AbortSignal | undefined;
  /** Where artifacts go, in a sub-folder named after the job, when the server has no artifact route. */
  fallbackFolderId?: string | undefined;
  warn: Warn;
}

export interface JobArtifacts {
  jobId: string;
  /** Names of the artifacts uploaded, through the route or into the fallback folder. */
  uploaded: string[];
  /** The sub-folder that received them when the server has no artifact route. */
  folderId?: string | undefined;
  /** Names left out because the server has no artifact route and no fallback folder is set. */
  notUploaded: string[];
}

interface Artifact {
  hostPath: string;
  name: string;
  size: number;
}

/**
 * Uploads a file, or the regular files directly inside a directory, as artifacts of a Girder job
 * (`POST job/{id}/artifact?name=&size=&mimeType=` with the raw body), as Girder Worker's
 * `GirderUploadJobArtifact`. A missing path uploads nothing. Released Girder versions lack that
 * route: then nothing fails, one warning names the route and the artifacts, and with a fallback
 * folder they are uploaded into its sub-folder named after the job instead.
 */
export async function uploadJobArtifacts(
  client: GirderClient,
  hostPath: string,
  options: JobArtifactOptions,
): Promise<JobArtifacts> {
  const { jobId, signal } = options;
  const artifacts = await collect(hostPath, options);
  const result: JobArtifacts = { jobId, uploaded: [], notUploaded: [] };
  for (const [index, artifact] of artifacts.entries()) {
    signal?.throwIfAborted();
    try {
      await postArtifact(client, jobId, artifact, signal);
      result.uploaded.push(artifact.name);
    } catch (error) {
      if (!(error instanceof GirderHttpError) || !isMissingRoute(error)) throw error;
      return fallBack(client, artifacts.slice(index), result, error, options);
    }
  }
  return result;
}

/**
 * True when Girder does not know the route. Girder answers an unknown route with a 400 "No
 * matching route for ..." (its RestException's default code); other servers and proxies say 404.
 */
export function isMissingRoute(error: GirderHttpError): boolean {
  if (error.status === 404) return true;
  return error.status === 400 && (error.girderMessage ?? '').startsWith('No matching route');
}

async function collect(hostPath: string, options: JobArtifactOptions): Promise<Artifact[]> {
  let stats;
  try {
    stats = await lstat(hostPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  if (stats.isFile()) {
    return [{ hostPath, name: options.name ?? path.basename(hostPath), size: stats.size }];
  }
  if (stats.isDirectory()) {
    const entries = await listLocalDir(hostPath, options.warn);
    return entries
      .filter((e) => e.kind === 'file')
      .map(({ hostPath, name, size }) => ({ hostPath, name, size }));
  }
  options.warn(
    `Not uploaded as an artifact of job ${options.jobId}: ${hostPath} is not a regular file or directory`,
  );
  return [];
}

async function postArtifact(
  client: GirderClient,
  jobId: string,
  artifact: Artifact,
  signal: AbortSignal | undefined,
): Promise<void> {
  const body = fileBody(artifact.hostPath, artifact.size);
  const query = { name: artifact.name, size: artifact.size, mimeType: guessMimeType(artifact.name) };
  const action = `upload artifact ${artifact.name} of job ${jobId}`;
  // The body is read again from the file for each attempt.
  await withRetries(client, signal, () =>
    sendBody<unknown>(client, 'POST', `job/${jobId}/artifact`, {
      query,
      body: body.open(0, artifact.size),
      length: artifact.size,
      signal,
      action,
    }),
  );
}

async function fallBack(
  client: GirderClient,
  artifacts: Artifact[],
  result: JobArtifacts,
  error: GirderHttpError,
  options: JobArtifactOptions,
): Promise<JobArtifacts> {
  const { jobId, fallbackFolderId, signal } = options;
  const names = artifacts.map((a) => a.name).join(', ');
  const why = `Girder has no route ${ARTIFACT_ROUTE} (HTTP ${error.status})`;
  if (!fallbackFolderId) {
    options.warn(
      `${why}: the artifacts of job ${jobId} were not uploaded (${names}); ` +
        'set girder.artifactFolderId to keep them in a folder instead',
    );
    return { ...result, notUploaded: artifacts.map((a) => a.name) };
  }
  // Said before the fallback runs: if it fails, the task's error follows this line.
  options.warn(
    `${why}: the artifacts of job ${jobId} (${names}) go to the sub-folder ${jobId} of folder ` +
      `${fallbackFolderId} instead`,
  );
  const folderId = await createFolder(client, fallbackFolderId, jobId, signal);
  for (const artifact of artifacts) {
    await uploadFileToFolder(client, folderId, artifact.hostPath, { name: artifact.name, signal });
  }
  return { ...result, uploaded: [...result.uploaded, ...artifacts.map((a) => a.name)], folderId };
}
