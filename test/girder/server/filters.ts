// Model.filter / AccessControlledModel.filter: what each model exposes on the wire, by access level
// (the exposeFields calls of Girder's models and of the jobs and worker plugins). Access-controlled
// models also report `_accessLevel`; every filtered document carries `_modelType`.
import type { ServerState } from './context.js';
import { AccessType, accessLevel } from './permissions.js';
import type { CollectionName, UserDoc } from './store.js';

interface Exposure {
  read: readonly string[];
  write?: readonly string[];
  admin?: readonly string[];
  siteAdmin?: readonly string[];
  accessControlled: boolean;
}

const EXPOSED: Partial<Record<CollectionName, Exposure>> = {
  user: {
    read: ['_id', 'login', 'public', 'firstName', 'lastName', 'admin', 'created'],
    admin: ['size', 'email', 'groups', 'groupInvites', 'status', 'emailVerified'],
    accessControlled: true,
  },
  collection: {
    read: ['_id', 'name', 'description', 'public', 'publicFlags', 'created', 'updated', 'size', 'meta'],
    accessControlled: true,
  },
  folder: {
    read: [
      '_id',
      'name',
      'public',
      'publicFlags',
      'description',
      'created',
      'updated',
      'size',
      'meta',
      'parentId',
      'parentCollection',
      'creatorId',
      'baseParentType',
      'baseParentId',
    ],
    accessControlled: true,
  },
  item: {
    read: [
      '_id',
      'size',
      'updated',
      'description',
      'created',
      'meta',
      'creatorId',
      'folderId',
      'name',
      'baseParentType',
      'baseParentId',
      'copyOfItem',
    ],
    accessControlled: false,
  },
  file: {
    read: ['_id', 'mimeType', 'itemId', 'exts', 'name', 'created', 'creatorId', 'size', 'updated', 'linkUrl'],
    siteAdmin: ['assetstoreId'],
    accessControlled: false,
  },
  job: {
    read: [
      'title',
      'type',
      'created',
      'interval',
      'when',
      'status',
      'progress',
      'log',
      'meta',
      '_id',
      'public',
      'parentId',
      'asynchronous',
      'updated',
      'timestamps',
      'handler',
      'jobInfoSpec',
    ],
    // The worker plugin adds celeryTaskId and celeryQueue for site admins.
    siteAdmin: ['args', 'kwargs', 'celeryTaskId', 'celeryQueue'],
    accessControlled: true,
  },
};

export function filterDoc(
  server: ServerState,
  kind: CollectionName,
  doc: Record<string, unknown>,
  user: UserDoc | null,
): Record<string, unknown> {
  const exposure = EXPOSED[kind];
  if (!exposure) return { ...doc };
  const keys = new Set(exposure.read);
  const out: Record<string, unknown> = {};
  if (exposure.accessControlled) {
    const level = accessLevel(server, kind, doc, user);
    if (level >= AccessType.WRITE) for (const k of exposure.write ?? []) keys.add(k);
    if (level >= AccessType.ADMIN) {
      for (const k of exposure.admin ?? []) keys.add(k);
      if (user?.admin) for (const k of exposure.siteAdmin ?? []) keys.add(k);
    }
    out._accessLevel = level;
  } else if (user?.admin) {
    for (const k of exposure.siteAdmin ?? []) keys.add(k);
  }
  for (const key of keys) if (key in doc) out[key] = structuredClone(doc[key]);
  out._modelType = kind;
  return out;
}
