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
  return new StreamReply(() => sendFile(ctx, file, offset, endByte, disposition));
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
