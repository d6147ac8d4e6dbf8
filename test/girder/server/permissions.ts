// Access control of Girder's AccessControlledModel: folders, collections, users and jobs carry an
// ACL and a public flag; items and files take their folder's (AccessControlMixin), job artifacts
// their job's. Loading a model by id reports errors with Girder's exact wording.
import { currentUser } from './auth.js';
import type { RequestContext, ServerState } from './context.js';
import { AccessError, RestError, ValidationError } from './errors.js';
import { isObjectId } from './ids.js';
import type { AccessList, CollectionName, DocOf, UserDoc } from './store.js';

export const AccessType = { NONE: -1, READ: 0, WRITE: 1, ADMIN: 2, SITE_ADMIN: 100 } as const;

type AclDoc = { _id: string; public?: boolean; access: AccessList };

/** AccessControlledModel.getAccessLevel. */
export function aclLevel(doc: AclDoc, user: UserDoc | null): number {
  if (user?.admin) return AccessType.SITE_ADMIN;
  let level: number = doc.public ? AccessType.READ : AccessType.NONE;
  if (user) {
    for (const entry of doc.access.users) if (entry.id === user._id) level = Math.max(level, entry.level);
  }
  return level;
}

/** The document whose ACL governs `doc`: itself, or for items and files the folder (job for artifacts). */
function aclOwner(server: ServerState, kind: CollectionName, doc: unknown): AclDoc | undefined {
  const { store } = server;
  if (kind === 'file') {
    const file = doc as DocOf<'file'>;
    if (file.attachedToType === 'job' && file.attachedToId) return store.get('job', file.attachedToId);
    return file.itemId ? aclOwner(server, 'item', store.get('item', file.itemId)) : undefined;
  }
  if (kind === 'item') {
    const item = doc as DocOf<'item'> | undefined;
    return item ? store.get('folder', item.folderId) : undefined;
  }
  return doc as AclDoc;
}

export function accessLevel(
  server: ServerState,
  kind: CollectionName,
  doc: unknown,
  user: UserDoc | null,
): number {
  if (user?.admin) return AccessType.SITE_ADMIN;
  const owner = aclOwner(server, kind, doc);
  return owner ? aclLevel(owner, user) : AccessType.NONE;
}

const LEVEL_NAMES: Record<number, string> = { 0: 'Read', 1: 'Write', 2: 'Admin', 100: 'Admin' };

/** AccessControlledModel.requireAccess, with its message. */
export function requireAccess(
  server: ServerState,
  kind: CollectionName,
  doc: { _id: string },
  user: UserDoc | null,
  level: number,
): void {
  if (accessLevel(server, kind, doc, user) >= level) return;
  const perm = LEVEL_NAMES[level] ?? 'Unknown level';
  throw new AccessError(`${perm} access denied for ${kind} ${doc._id} (user ${user ? user._id : 'None'}).`);
}

/** Model.load's id check: bson refuses anything but 24 hex digits. Ids are kept in lower case. */
export function checkObjectId(id: string): string {
  if (!id) throw new ValidationError(`Attempt to load null ObjectId: ${id}`);
  if (!isObjectId(id)) throw new ValidationError(`Invalid ObjectId: ${id}`, 'id');
  return id.toLowerCase();
}

export interface LoadOptions {
  /** Required access level; omitted with `force` or for models without access control. */
  level?: number;
  force?: boolean;
  /**
   * How a missing document is reported. 'modelParam' (autoDescribeRoute's modelParam):
   * RestException 'Invalid <model> id (<id>).'; 'exc' (Model.load(..., exc=True), used by routes that
   * load a parent themselves): ValidationException 'No such <model>: <id>'.
   */
  missing: 'modelParam' | 'exc';
}

export function loadModel<K extends CollectionName>(
  ctx: RequestContext,
  kind: K,
  rawId: string,
  opts: LoadOptions,
): DocOf<K> {
  const id = checkObjectId(rawId);
  const doc = ctx.server.store.get(kind, id);
  if (!doc) {
    if (opts.missing === 'exc') throw new ValidationError(`No such ${kind}: ${rawId}`, 'id');
    throw new RestError(`Invalid ${kind} id (${rawId}).`);
  }
  if (!opts.force && opts.level !== undefined)
    requireAccess(ctx.server, kind, doc, currentUser(ctx), opts.level);
  return doc;
}
