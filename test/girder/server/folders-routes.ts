// folder/... routes (girder/api/v1/folder.py): list a parent's folders (default sort lowerName; the
// list is filtered by read access after sorting, so Girder sends no Girder-Total-Count), get one,
// create one.
import { TokenScope, currentUser, requireUser } from './auth.js';
import { createFolder } from './data-model.js';
import { RestError } from './errors.js';
import { filterDoc } from './filters.js';
import { applyMetadata, textMatches } from './listing.js';
import { boolParam, jsonParam, pagingParams, strParam } from './params.js';
import { AccessType, accessLevel, loadModel } from './permissions.js';
import type { Route } from './router.js';
import { type FolderDoc, type ParentType, sortAndPage } from './store.js';

const PARENT_TYPES = ['folder', 'user', 'collection'] as const;

export const folderRoutes: Route[] = [
  {
    method: 'GET',
    path: 'folder',
    access: { kind: 'public', scope: TokenScope.DATA_READ },
    handler: (ctx) => {
      const parentType = strParam(ctx, 'parentType', { enum: PARENT_TYPES }) as ParentType | undefined;
      const parentId = strParam(ctx, 'parentId');
      const text = strParam(ctx, 'text');
      const name = strParam(ctx, 'name');
      const paging = pagingParams(ctx, 'lowerName');
      const user = currentUser(ctx);
      const { server } = ctx;
      let candidates: FolderDoc[];
      if (parentType && parentId) {
        const parent = loadModel(ctx, parentType, parentId, { level: AccessType.READ, missing: 'exc' });
        candidates = server.store.find(
          'folder',
          (f) =>
            f.parentId === parent._id &&
            f.parentCollection === parentType &&
            (!name || f.name === name) &&
            (!text || textMatches(f, text)),
        );
      } else if (text) {
        candidates = server.store.find('folder', (f) => textMatches(f, text));
      } else {
        throw new RestError('Invalid search mode.');
      }
      // filterResultsByPermission: sort first, drop what the user may not read, then offset and limit.
      const readable = sortAndPage(candidates, paging.sort, 0, 0).filter(
        (f) => accessLevel(server, 'folder', f, user) >= AccessType.READ,
      );
      return sortAndPage(readable, undefined, paging.offset, paging.limit).map((f) =>
        filterDoc(server, 'folder', f, user),
      );
    },
  },
  {
    method: 'GET',
    path: 'folder/:id',
    access: { kind: 'public', scope: TokenScope.DATA_READ },
    handler: (ctx, { id = '' }) => {
      const folder = loadModel(ctx, 'folder', id, { level: AccessType.READ, missing: 'modelParam' });
      return filterDoc(ctx.server, 'folder', folder, currentUser(ctx));
    },
  },
  {
    method: 'POST',
    path: 'folder',
    access: { kind: 'user', scope: TokenScope.DATA_WRITE },
    handler: (ctx) => {
      const parentType = (strParam(ctx, 'parentType', { default: 'folder', enum: PARENT_TYPES }) ??
        'folder') as ParentType;
      const parentId = strParam(ctx, 'parentId', { required: true }) ?? '';
      const name = strParam(ctx, 'name', { required: true, strip: true }) ?? '';
      const description = strParam(ctx, 'description', { default: '', strip: true }) ?? '';
      const reuseExisting = boolParam(ctx, 'reuseExisting', { default: false }) ?? false;
      const isPublic = boolParam(ctx, 'public');
      const metadata = jsonParam(ctx, 'metadata', { requireObject: true }) as
        Record<string, unknown> | undefined;
      const user = requireUser(ctx);
      const parent = loadModel(ctx, parentType, parentId, { level: AccessType.WRITE, missing: 'exc' });
      const folder = createFolder(ctx.server, {
        parent,
        parentType,
        name,
        description,
        creatorId: user._id,
        reuseExisting,
        ...(isPublic !== undefined ? { public: isPublic } : {}),
      });
      if (metadata) {
        applyMetadata(folder.meta, metadata);
        folder.updated = new Date();
      }
      return filterDoc(ctx.server, 'folder', folder, user);
    },
  },
];
