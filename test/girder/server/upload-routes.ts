// file/... routes of the upload protocol (girder/api/v1/file.py): POST file (init, or the one-shot
// upload when the body is the whole file), POST file/chunk, GET file/offset, PUT file/:id/contents,
// POST file/completion and DELETE file/upload/:id.
import { TokenScope, currentUser, requireUser } from './auth.js';
import type { RequestContext } from './context.js';
import { AccessError, RestError } from './errors.js';
import { filterDoc } from './filters.js';
import { intParam, strParam } from './params.js';
import { AccessType, loadModel } from './permissions.js';
import type { Route } from './router.js';
import type { FileDoc, UploadDoc } from './store.js';
import {
  cancelUpload,
  createUpload,
  createUploadToFile,
  finalizeUpload,
  handleChunk,
  requestOffset,
  uploadView,
} from './uploads.js';

const WRITE = { kind: 'user', scope: TokenScope.DATA_WRITE } as const;

/** CherryPy parses form and multipart bodies into parameters; any other body is raw data. */
function hasRawBody(ctx: RequestContext): boolean {
  const type = (ctx.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type !== 'application/x-www-form-urlencoded' && !type.startsWith('multipart/');
}

function answer(ctx: RequestContext, result: { upload: UploadDoc } | { file: FileDoc }): unknown {
  return 'file' in result
    ? filterDoc(ctx.server, 'file', result.file, currentUser(ctx))
    : uploadView(result.upload);
}

function ownUpload(ctx: RequestContext, upload: UploadDoc): void {
  if (upload.userId !== requireUser(ctx)._id) throw new AccessError('You did not initiate this upload.');
}

export const uploadRoutes: Route[] = [
  {
    method: 'POST',
    path: 'file',
    access: WRITE,
    handler: async (ctx) => {
      const parentType = strParam(ctx, 'parentType', { required: true, enum: ['folder', 'item'] }) as
        'folder' | 'item';
      const parentId = strParam(ctx, 'parentId', { required: true }) ?? '';
      const name = strParam(ctx, 'name', { required: true }) ?? '';
      const size = intParam(ctx, 'size');
      const mimeType = strParam(ctx, 'mimeType');
      const linkUrl = strParam(ctx, 'linkUrl');
      const reference = strParam(ctx, 'reference');
      const assetstoreId = strParam(ctx, 'assetstoreId');
      const user = requireUser(ctx);
      const parent = loadModel(ctx, parentType, parentId, { level: AccessType.WRITE, missing: 'exc' });
      if (linkUrl !== undefined)
        throw new RestError('Link files are not supported by the Girder test server.');
      if (size === undefined) throw new RestError('Parameter "size" is required.');
      if (assetstoreId && !user.admin)
        throw new AccessError('You must be an admin to select a destination assetstore.');
      // The body is the first chunk only when it is raw data with a Content-Length (not chunked).
      const length = Number(ctx.header('content-length') ?? 0);
      const withBody = size > 0 && length > 0 && hasRawBody(ctx);
      const upload = createUpload(ctx.server, {
        user,
        name,
        parentType,
        parentId: parent._id,
        size,
        ...(mimeType !== undefined ? { mimeType } : {}),
        ...(reference !== undefined ? { reference } : {}),
      });
      if (upload.size > 0)
        return withBody ? answer(ctx, await handleChunk(ctx, upload, { body: true })) : uploadView(upload);
      return filterDoc(ctx.server, 'file', finalizeUpload(ctx.server, upload), user);
    },
  },
  {
    method: 'POST',
    path: 'file/chunk',
    access: WRITE,
    handler: async (ctx) => {
      const upload = loadModel(ctx, 'upload', strParam(ctx, 'uploadId', { required: true }) ?? '', {
        missing: 'modelParam',
      });
      const offset = intParam(ctx, 'offset', { default: 0 }) ?? 0;
      if ((ctx.header('content-type') ?? '').startsWith('multipart/form-data')) {
        throw new RestError(
          'Multipart encoding is no longer supported. Send the chunk in the request body, and other parameters in the query string.',
        );
      }
      // The undocumented `chunk` parameter replaces the body; a form body was parsed away, so it is empty.
      const text = ctx.params.get('chunk');
      const chunk =
        text !== undefined ? { text } : ctx.bodyConsumed ? { text: '' } : ({ body: true } as const);
      ownUpload(ctx, upload);
      if (upload.received !== offset) {
        throw new RestError(
          `Server has received ${upload.received} bytes, but client sent offset ${offset}.`,
        );
      }
      return answer(ctx, await handleChunk(ctx, upload, chunk));
    },
  },
  {
    method: 'GET',
    path: 'file/offset',
    access: WRITE,
    handler: async (ctx) => {
      const upload = loadModel(ctx, 'upload', strParam(ctx, 'uploadId', { required: true }) ?? '', {
        missing: 'modelParam',
      });
      const offset = await requestOffset(upload);
      upload.received = offset;
      return { offset };
    },
  },
  {
    method: 'POST',
    path: 'file/completion',
    access: WRITE,
    handler: (ctx) => {
      const upload = loadModel(ctx, 'upload', strParam(ctx, 'uploadId', { required: true }) ?? '', {
        missing: 'modelParam',
      });
      ownUpload(ctx, upload);
      if (upload.received !== upload.size) {
        throw new RestError(
          `Server has only received ${upload.received} bytes, but the file should be ${upload.size} bytes.`,
        );
      }
      return filterDoc(ctx.server, 'file', finalizeUpload(ctx.server, upload), currentUser(ctx));
    },
  },
  {
    method: 'PUT',
    path: 'file/:id/contents',
    access: WRITE,
    handler: (ctx, { id = '' }) => {
      const file = loadModel(ctx, 'file', id, { level: AccessType.WRITE, missing: 'modelParam' });
      const size = intParam(ctx, 'size', { required: true }) ?? 0;
      const reference = strParam(ctx, 'reference');
      const assetstoreId = strParam(ctx, 'assetstoreId');
      const user = requireUser(ctx);
      if (assetstoreId && !user.admin)
        throw new AccessError('You must be an admin to select a destination assetstore.');
      const upload = createUploadToFile(ctx.server, file, user, size, reference);
      if (upload.size > 0) return uploadView(upload);
      return filterDoc(ctx.server, 'file', finalizeUpload(ctx.server, upload), user);
    },
  },
  {
    method: 'DELETE',
    path: 'file/upload/:id',
    access: WRITE,
    handler: async (ctx, { id = '' }) => {
      const upload = loadModel(ctx, 'upload', id, { missing: 'modelParam' });
      const user = requireUser(ctx);
      if (upload.userId !== user._id && !user.admin)
        throw new AccessError('You did not initiate this upload.');
      await cancelUpload(ctx.server, upload);
      return { message: 'Upload canceled.' };
    },
  },
];
