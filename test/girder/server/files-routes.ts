// file/... routes that read and delete files (girder/api/v1/file.py).
import { unlink } from 'node:fs/promises';
import { TokenScope, currentUser } from './auth.js';
import type { RequestContext } from './context.js';
import { removeFileRecord } from './data-model.js';
import { parseRanges, sendFile } from './download.js';
import { filterDoc } from './filters.js';
import { intParam, strParam } from './params.js';
import { AccessType, loadModel } from './permissions.js';
import { type Route, StreamReply } from './router.js';
import type { FileDoc } from './store.js';

function download(ctx: RequestContext, id: string): StreamReply {
  const file = loadModel(ctx, 'file', id, { level: AccessType.READ, missing: 'modelParam' });
  let offset = intParam(ctx, 'offset', { default: 0 }) ?? 0;
  let endByte = intParam(ctx, 'endByte');
  const disposition =
    strParam(ctx, 'contentDisposition', { default: 'attachment', enum: ['inline', 'attachment'] }) ??
    'attachment';
  strParam(ctx, 'extraParameters');
  // The HTTP Range header takes precedence over the query; only its first range is served.
  const first = parseRanges(ctx.header('range'), file.size)?.[0];
  if (first) [offset, endByte] = first;
  const redirect = ctx.server.faults.takeRedirect(file._id) ?? storeRedirect(ctx, file);
  if (redirect) return new StreamReply(() => sendRedirect(ctx, redirect.status, redirect.location));
  return new StreamReply(() => sendFile(ctx, file, offset, endByte, disposition));
}

/** An S3 assetstore's answer: a redirect to a signed URL (the client asks the store for its Range). */
function storeRedirect(ctx: RequestContext, file: FileDoc): { status: number; location: string } | undefined {
  const store = ctx.server.objectStore;
  if (!store) return undefined;
  return { status: store.redirectStatus, location: store.store.signedUrl(file._id, file.name) };
}

/** CherryPy's HTTPRedirect: the status, the Location and a short HTML body naming it. */
function sendRedirect(ctx: RequestContext, status: number, location: string | undefined): Promise<void> {
  const body = `This resource can be found at <a href=${JSON.stringify(location ?? '')}>${location ?? ''}</a>.`;
  ctx.res.statusCode = status;
  if (location !== undefined) ctx.res.setHeader('Location', location);
  ctx.res.setHeader('Content-Type', 'text/html;charset=utf-8');
  ctx.res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  ctx.res.end(body);
  return Promise.resolve();
}

export const fileRoutes: Route[] = [
  {
    method: 'GET',
    path: 'file/:id',
    access: { kind: 'public', scope: TokenScope.DATA_READ },
    handler: (ctx, { id = '' }) => {
      const file = loadModel(ctx, 'file', id, { level: AccessType.READ, missing: 'modelParam' });
      return filterDoc(ctx.server, 'file', file, currentUser(ctx));
    },
  },
  {
    method: 'GET',
    path: 'file/:id/download',
    access: { kind: 'public', scope: TokenScope.DATA_READ },
    handler: (ctx, { id = '' }) => download(ctx, id),
  },
  {
    // The name is ignored; it only helps clients that name the download after the last path segment.
    method: 'GET',
    path: 'file/:id/download/:name',
    access: { kind: 'public', scope: TokenScope.DATA_READ },
    handler: (ctx, { id = '' }) => download(ctx, id),
  },
  {
    method: 'DELETE',
    path: 'file/:id',
    access: { kind: 'user', scope: TokenScope.DATA_WRITE },
    handler: async (ctx, { id = '' }) => {
      const file = loadModel(ctx, 'file', id, { level: AccessType.WRITE, missing: 'modelParam' });
      removeFileRecord(ctx.server, file);
      await unlink(ctx.server.storage.filePath(file._id)).catch(() => {});
      return null;
    },
  },
];
