// item/... routes (girder/api/v1/item.py): list a folder's items (default sort lowerName), get one,
// list its files (default sort name), create one, delete one. Lists default to 50 per page and, being
// Mongo cursors in Girder, carry the Girder-Total-Count header.
import { unlink } from 'node:fs/promises';
import { TokenScope, currentUser, requireUser } from './auth.js';
import type { RequestContext } from './context.js';
import { createItem, removeFileRecord } from './data-model.js';
import { RestError } from './errors.js';
import { filterDoc } from './filters.js';
import { applyMetadata, textMatches } from './listing.js';
import { boolParam, jsonParam, pagingParams, strParam } from './params.js';
import { AccessType, accessLevel, loadModel } from './permissions.js';
import { JsonReply, type Route } from './router.js';
import { type ItemDoc, sortAndPage } from './store.js';

function page(
  ctx: RequestContext,
  kind: 'item' | 'file',
  docs: ItemDoc[] | Record<string, unknown>[],
  paging: ReturnType<typeof pagingParams>,
) {
  const user = currentUser(ctx);
  const rows = sortAndPage(docs as Record<string, unknown>[], paging.sort, paging.offset, paging.limit);
  return new JsonReply(
    rows.map((doc) => filterDoc(ctx.server, kind, doc, user)),
    { 'Girder-Total-Count': String(docs.length) },
  );
}

export const itemRoutes: Route[] = [
  {
    method: 'GET',
    path: 'item',
    access: { kind: 'public', scope: TokenScope.DATA_READ },
    handler: (ctx) => {
      const folderId = strParam(ctx, 'folderId');
      const text = strParam(ctx, 'text');
      const name = strParam(ctx, 'name');
      const paging = pagingParams(ctx, 'lowerName');
      const { store } = ctx.server;
      if (folderId) {
        const folder = loadModel(ctx, 'folder', folderId, { level: AccessType.READ, missing: 'exc' });
        const items = store.find(
          'item',
          (i) => i.folderId === folder._id && (!name || i.name === name) && (!text || textMatches(i, text)),
        );
        return page(ctx, 'item', items, paging);
      }
      if (text !== undefined) {
        const user = currentUser(ctx);
        const items = store.find(
          'item',
          (i) => textMatches(i, text) && accessLevel(ctx.server, 'item', i, user) >= AccessType.READ,
        );
        return page(ctx, 'item', items, paging);
      }
      throw new RestError('Invalid search mode.');
    },
  },
  {
    method: 'GET',
    path: 'item/:id',
    access: { kind: 'public', scope: TokenScope.DATA_READ },
    handler: (ctx, { id = '' }) => {
      const item = loadModel(ctx, 'item', id, { level: AccessType.READ, missing: 'modelParam' });
      return filterDoc(ctx.server, 'item', item, currentUser(ctx));
    },
  },
  {
    method: 'GET',
    path: 'item/:id/files',
    access: { kind: 'public', scope: TokenScope.DATA_READ },
    handler: (ctx, { id = '' }) => {
      const item = loadModel(ctx, 'item', id, { level: AccessType.READ, missing: 'modelParam' });
      const paging = pagingParams(ctx, 'name');
      return page(
        ctx,
        'file',
        ctx.server.store.find('file', (f) => f.itemId === item._id),
        paging,
      );
    },
  },
  {
    method: 'POST',
    path: 'item',
    access: { kind: 'user', scope: TokenScope.DATA_WRITE },
    handler: (ctx) => {
      const folder = loadModel(ctx, 'folder', strParam(ctx, 'folderId', { required: true }) ?? '', {
        level: AccessType.WRITE,
        missing: 'modelParam',
      });
      const name = strParam(ctx, 'name', { required: true, strip: true }) ?? '';
      const description = strParam(ctx, 'description', { default: '', strip: true }) ?? '';
      const reuseExisting = boolParam(ctx, 'reuseExisting', { default: false }) ?? false;
      const metadata = jsonParam(ctx, 'metadata', { requireObject: true }) as
        Record<string, unknown> | undefined;
      const user = requireUser(ctx);
      const item = createItem(ctx.server, { folder, name, creatorId: user._id, description, reuseExisting });
      if (metadata) {
        applyMetadata(item.meta, metadata);
        item.updated = new Date();
      }
      return filterDoc(ctx.server, 'item', item, user);
    },
  },
  {
    method: 'DELETE',
    path: 'item/:id',
    access: { kind: 'user', scope: TokenScope.DATA_WRITE },
    handler: async (ctx, { id = '' }) => {
      const item = loadModel(ctx, 'item', id, { level: AccessType.WRITE, missing: 'modelParam' });
      const { store, storage } = ctx.server;
      for (const file of store.find('file', (f) => f.itemId === item._id)) {
        removeFileRecord(ctx.server, file);
        await unlink(storage.filePath(file._id)).catch(() => {});
      }
      store.remove('item', item._id);
      return { message: `Deleted item ${item.name}.` };
    },
  },
];
