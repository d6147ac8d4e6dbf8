// The data hierarchy as Girder's models build it: users (with their Public and Private folders),
// collections, folders, items and file records, with Girder's validation messages, its rules for
// duplicate names, and sizes propagated up to the item, folder and root.
import type { ServerState } from './context.js';
import { ValidationError } from './errors.js';
import { newObjectId } from './ids.js';
import { AccessType } from './permissions.js';
import type { AccessList, CollectionDoc, FileDoc, FolderDoc, ItemDoc, ParentType, UserDoc } from './store.js';

function ownerAcl(userId: string | null): AccessList {
  return { users: userId ? [{ id: userId, level: AccessType.ADMIN, flags: [] }] : [], groups: [] };
}

function setUserAccess(access: AccessList, userId: string, level: number): void {
  const entry = access.users.find((e) => e.id === userId);
  if (entry) entry.level = level;
  else access.users.push({ id: userId, level, flags: [] });
}

export function createUser(server: ServerState, login: string, admin: boolean): UserDoc {
  const user: UserDoc = {
    _id: newObjectId(),
    login,
    email: `${login}@example.com`,
    firstName: login,
    lastName: 'User',
    admin,
    public: true,
    status: 'enabled',
    emailVerified: true,
    created: new Date(),
    size: 0,
    groups: [],
    groupInvites: [],
    access: { users: [], groups: [] },
  };
  setUserAccess(user.access, user._id, AccessType.ADMIN);
  server.store.insert('user', user);
  // Girder's default 'public_private' setting gives every new user these two folders.
  createFolder(server, {
    parent: user,
    parentType: 'user',
    name: 'Public',
    public: true,
    creatorId: user._id,
  });
  createFolder(server, {
    parent: user,
    parentType: 'user',
    name: 'Private',
    public: false,
    creatorId: user._id,
  });
  return user;
}

export function createCollection(
  server: ServerState,
  name: string,
  opts: { public?: boolean; creatorId?: string | null } = {},
): CollectionDoc {
  const now = new Date();
  const creatorId = opts.creatorId ?? null;
  const collection: CollectionDoc = {
    _id: newObjectId(),
    name,
    description: '',
    public: opts.public ?? false,
    creatorId,
    created: now,
    updated: now,
    size: 0,
    meta: {},
    access: ownerAcl(creatorId),
  };
  return server.store.insert('collection', collection);
}

function nameTaken(
  server: ServerState,
  parentId: string,
  parentType: ParentType,
  name: string,
  exceptId?: string,
) {
  const folder = server.store.findOne(
    'folder',
    (f) =>
      f.parentId === parentId && f.parentCollection === parentType && f.name === name && f._id !== exceptId,
  );
  const item =
    parentType === 'folder'
      ? server.store.findOne('item', (i) => i.folderId === parentId && i.name === name && i._id !== exceptId)
      : undefined;
  return { folder, item };
}

export interface CreateFolderArgs {
  parent: { _id: string; public?: boolean; publicFlags?: string[]; access?: AccessList };
  parentType: ParentType;
  name: string;
  description?: string;
  public?: boolean;
  creatorId: string | null;
  reuseExisting?: boolean;
}

/** Folder.createFolder then Folder.validate (a taken name is an error for folders, not a rename). */
export function createFolder(server: ServerState, args: CreateFolderArgs): FolderDoc {
  const { store } = server;
  if (args.reuseExisting) {
    const existing = store.findOne(
      'folder',
      (f) => f.parentId === args.parent._id && f.name === args.name && f.parentCollection === args.parentType,
    );
    if (existing) return existing;
  }
  let baseParentType: 'user' | 'collection';
  let baseParentId: string;
  if (args.parentType === 'folder') {
    const parentFolder = args.parent as FolderDoc;
    baseParentType = parentFolder.baseParentType;
    baseParentId = parentFolder.baseParentId;
  } else {
    baseParentType = args.parentType;
    baseParentId = args.parent._id;
  }
  const now = new Date();
  const name = args.name.trim();
  const folder: FolderDoc = {
    _id: newObjectId(),
    name,
    lowerName: name.toLowerCase(),
    description: (args.description ?? '').trim(),
    parentCollection: args.parentType,
    parentId: args.parent._id,
    baseParentType,
    baseParentId,
    creatorId: args.creatorId,
    created: now,
    updated: now,
    size: 0,
    meta: {},
    access: { users: [], groups: [] },
  };
  // copyAccessPolicies: folders and collections hand their ACL and public flag down; users do not.
  if (args.parentType !== 'user') {
    folder.access = structuredClone(args.parent.access ?? { users: [], groups: [] });
    if (args.parent.public !== undefined) folder.public = args.parent.public;
    if (args.parent.publicFlags !== undefined) folder.publicFlags = [...args.parent.publicFlags];
  }
  if (args.creatorId) setUserAccess(folder.access, args.creatorId, AccessType.ADMIN);
  if (args.public !== undefined) folder.public = args.public;

  if (!name) throw new ValidationError('Folder name must not be empty.', 'name');
  const taken = nameTaken(server, folder.parentId, folder.parentCollection, name);
  if (taken.folder) throw new ValidationError('A folder with that name already exists here.', 'name');
  if (taken.item) throw new ValidationError('An item with that name already exists here.', 'name');
  return store.insert('folder', folder);
}

/** Item.createItem then Item.validate: a taken name becomes "name (1)", "name (2)", ... */
export function createItem(
  server: ServerState,
  args: {
    folder: FolderDoc;
    name: string;
    creatorId: string | null;
    description?: string;
    reuseExisting?: boolean;
  },
): ItemDoc {
  const { store } = server;
  if (args.reuseExisting) {
    const existing = store.findOne('item', (i) => i.folderId === args.folder._id && i.name === args.name);
    if (existing) return existing;
  }
  const base = args.name.trim();
  if (!base) throw new ValidationError('Item name must not be empty.', 'name');
  let name = base;
  for (let n = 1; ; n++) {
    const taken = nameTaken(server, args.folder._id, 'folder', name);
    if (!taken.folder && !taken.item) break;
    name = `${base} (${n})`;
  }
  const now = new Date();
  return store.insert('item', {
    _id: newObjectId(),
    name,
    lowerName: name.toLowerCase(),
    description: (args.description ?? '').trim(),
    folderId: args.folder._id,
    creatorId: args.creatorId,
    baseParentType: args.folder.baseParentType,
    baseParentId: args.folder.baseParentId,
    created: now,
    updated: now,
    size: 0,
    meta: {},
  });
}

/** File.propagateSizeChange: the item, its folder, and the user or collection at the root. */
export function propagateSizeChange(server: ServerState, item: ItemDoc, delta: number): void {
  const { store } = server;
  item.size += delta;
  const folder = store.get('folder', item.folderId);
  if (folder) folder.size += delta;
  const root =
    item.baseParentType === 'user'
      ? store.get('user', item.baseParentId)
      : store.get('collection', item.baseParentId);
  if (root) root.size += delta;
}

export function fileExts(name: string): string[] {
  return name
    .split('.')
    .slice(1)
    .map((e) => e.toLowerCase());
}

/** File.createFile + save: the record of bytes already in place at storage.filePath(_id). */
export function insertFileRecord(
  server: ServerState,
  args: {
    _id?: string;
    item: ItemDoc | null;
    name: string;
    size: number;
    creatorId: string | null;
    mimeType: string | null;
  },
): FileDoc {
  if (!args.name) throw new ValidationError('File name must not be empty.', 'name');
  const file: FileDoc = {
    _id: args._id ?? newObjectId(),
    name: args.name,
    itemId: args.item ? args.item._id : null,
    creatorId: args.creatorId,
    assetstoreId: server.assetstoreId,
    mimeType: args.mimeType,
    size: args.size,
    exts: fileExts(args.name),
    created: new Date(),
  };
  server.store.insert('file', file);
  if (args.item && args.size) propagateSizeChange(server, args.item, args.size);
  return file;
}

export function removeFileRecord(server: ServerState, file: FileDoc): void {
  const item = file.itemId ? server.store.get('item', file.itemId) : undefined;
  if (item) propagateSizeChange(server, item, -file.size);
  server.store.remove('file', file._id);
}
