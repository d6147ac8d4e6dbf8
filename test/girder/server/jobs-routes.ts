// job/... routes of the jobs plugin (girder_jobs/job_rest.py) as girder_worker uses them, and the
// job artifact route of Girder's unmerged 2018 branch (PR #2779), served only when asked for.
import { rename, unlink } from 'node:fs/promises';
import { TokenScope, currentUser, ensureTokenScopes, jobScope } from './auth.js';
import { appendRequestBody } from './body.js';
import type { RequestContext } from './context.js';
import { insertFileRecord } from './data-model.js';
import { RestError, ValidationError } from './errors.js';
import { filterDoc } from './filters.js';
import { newObjectId } from './ids.js';
import { cancelJob, createJob, updateJob } from './job-model.js';
import { boolParam, floatParam, intParam, jsonParam, strParam } from './params.js';
import { AccessType, checkObjectId, loadModel, requireAccess } from './permissions.js';
import type { Route } from './router.js';
import type { JobDoc } from './store.js';

/** A job token (scope jobs.job_<id>) acts for its job; a user needs `level` on the job. */
function requireJobAccess(ctx: RequestContext, job: JobDoc, level: number): void {
  const user = currentUser(ctx);
  if (user) requireAccess(ctx.server, 'job', job, user, level);
  else ensureTokenScopes(ctx, jobScope(job._id));
}

/** Routes that load the job without its log (updateJob, cancelJob) answer without it. */
function withoutLog(ctx: RequestContext, job: JobDoc): Record<string, unknown> {
  const out = filterDoc(ctx.server, 'job', job, currentUser(ctx));
  delete out.log;
  return out;
}

export const jobRoutes: Route[] = [
  {
    method: 'GET',
    path: 'job/:id',
    access: { kind: 'public' },
    handler: (ctx, { id = '' }) => {
      const job = loadModel(ctx, 'job', id, { force: true, missing: 'modelParam' });
      if (!job.public) requireJobAccess(ctx, job, AccessType.READ);
      return filterDoc(ctx.server, 'job', job, currentUser(ctx));
    },
  },
  {
    method: 'POST',
    path: 'job',
    access: { kind: 'token', scope: TokenScope.CREATE_JOB, required: true },
    handler: (ctx) => {
      const title = strParam(ctx, 'title', { required: true }) ?? '';
      const type = strParam(ctx, 'type', { required: true }) ?? '';
      const parentId = strParam(ctx, 'parentId');
      let parent: JobDoc | undefined;
      if (parentId !== undefined) {
        // Girder's modelParam here loads with Job.load's default level (ADMIN) checked against no user,
        // which always refuses: on stock Girder, passing parentId is an access error.
        const id = checkObjectId(parentId);
        parent = ctx.server.store.get('job', id);
        if (!parent) throw new RestError(`Invalid job id (${parentId}).`);
        requireAccess(ctx.server, 'job', parent, null, AccessType.ADMIN);
      }
      const isPublic = boolParam(ctx, 'public', { default: false }) ?? false;
      const handler = strParam(ctx, 'handler');
      const args = jsonParam(ctx, 'args', { requireArray: true });
      const kwargs = jsonParam(ctx, 'kwargs', { requireObject: true });
      const otherFields = jsonParam(ctx, 'otherFields', { requireObject: true }) as
        Record<string, unknown> | undefined;
      const user = currentUser(ctx);
      const { job } = createJob(ctx.server, {
        title,
        type,
        args: args ?? [],
        kwargs: kwargs ?? {},
        user,
        public: isPublic,
        handler: handler ?? null,
        parentId: parent?._id ?? null,
        ...(otherFields ? { otherFields } : {}),
      });
      return filterDoc(ctx.server, 'job', job, user);
    },
  },
  {
    method: 'PUT',
    path: 'job/:id',
    access: { kind: 'token' },
    handler: (ctx, { id = '' }) => {
      const job = loadModel(ctx, 'job', id, { force: true, missing: 'modelParam' });
      const log = strParam(ctx, 'log');
      const overwrite = boolParam(ctx, 'overwrite', { default: false });
      const status = strParam(ctx, 'status');
      const progressTotal = floatParam(ctx, 'progressTotal');
      const progressCurrent = floatParam(ctx, 'progressCurrent');
      const progressMessage = strParam(ctx, 'progressMessage');
      const notify = boolParam(ctx, 'notify', { default: true });
      requireJobAccess(ctx, job, AccessType.WRITE);
      updateJob(ctx.server, job, {
        ...(log !== undefined ? { log } : {}),
        ...(overwrite !== undefined ? { overwrite } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(progressTotal !== undefined ? { progressTotal } : {}),
        ...(progressCurrent !== undefined ? { progressCurrent } : {}),
        ...(progressMessage !== undefined ? { progressMessage } : {}),
        ...(notify !== undefined ? { notify } : {}),
      });
      return withoutLog(ctx, job);
    },
  },
  {
    method: 'PUT',
    path: 'job/:id/cancel',
    access: { kind: 'user' },
    handler: async (ctx, { id = '' }) => {
      const job = loadModel(ctx, 'job', id, { level: AccessType.WRITE, missing: 'modelParam' });
      await cancelJob(ctx.server, job);
      return withoutLog(ctx, job);
    },
  },
];

/**
 * POST job/:id/artifact?name=&size=&mimeType= with the raw bytes as body (what girder_worker's
 * GirderUploadJobArtifact sends). The file hangs off the job (attachedToType 'job'), has no item, and
 * is answered as a file document. Its client token (scope jobs.rest.create_job) acts for its user.
 */
export const artifactRoute: Route = {
  method: 'POST',
  path: 'job/:id/artifact',
  access: { kind: 'token', scope: TokenScope.CREATE_JOB },
  handler: async (ctx, { id = '' }) => {
    const job = loadModel(ctx, 'job', id, { force: true, missing: 'modelParam' });
    const name = strParam(ctx, 'name', { required: true }) ?? '';
    const size = intParam(ctx, 'size');
    const mimeType = strParam(ctx, 'mimeType');
    requireJobAccess(ctx, job, AccessType.WRITE);
    const { server } = ctx;
    const _id = newObjectId();
    const temp = server.storage.tempPath(_id);
    const { written, overflow } = await appendRequestBody(ctx, temp, size ?? Number.MAX_SAFE_INTEGER);
    if (overflow || (size !== undefined && written !== size)) {
      await unlink(temp).catch(() => {});
      if (overflow) throw new ValidationError('Received too many bytes.');
      throw new RestError(`Server has only received ${written} bytes, but the file should be ${size} bytes.`);
    }
    await rename(temp, server.storage.filePath(_id));
    const file = insertFileRecord(server, {
      _id,
      item: null,
      name,
      size: written,
      creatorId: currentUser(ctx)?._id ?? null,
      mimeType: mimeType || 'application/octet-stream',
    });
    file.attachedToType = 'job';
    file.attachedToId = job._id;
    return filterDoc(server, 'file', file, currentUser(ctx));
  },
};
