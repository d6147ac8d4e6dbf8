// The documents, kept in memory with the fields Girder's models give them. Ids are strings here;
// on the wire Girder sends ObjectIds as strings too, so nothing is lost.

export type Doc = Record<string, unknown> & { _id: string };

export type AccessEntry = { id: string; level: number; flags: string[] };
export type AccessList = { users: AccessEntry[]; groups: AccessEntry[] };

export type UserDoc = {
  _id: string;
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  admin: boolean;
  public: boolean;
  status: string;
  emailVerified: boolean;
  created: Date;
  size: number;
  groups: string[];
  groupInvites: unknown[];
  access: AccessList;
};

export type CollectionDoc = {
  _id: string;
  name: string;
  description: string;
  public: boolean;
  creatorId: string | null;
  created: Date;
  updated: Date;
  size: number;
  meta: Record<string, unknown>;
  access: AccessList;
};

export type ParentType = 'folder' | 'user' | 'collection';

export type FolderDoc = {
  _id: string;
  name: string;
  lowerName: string;
  description: string;
  parentCollection: ParentType;
  parentId: string;
  baseParentType: 'user' | 'collection';
  baseParentId: string;
  creatorId: string | null;
  created: Date;
  updated: Date;
  size: number;
  meta: Record<string, unknown>;
  public?: boolean;
  publicFlags?: string[];
  access: AccessList;
};

export type ItemDoc = {
  _id: string;
  name: string;
  lowerName: string;
  description: string;
  folderId: string;
  creatorId: string | null;
  baseParentType: 'user' | 'collection';
  baseParentId: string;
  created: Date;
  updated: Date;
  size: number;
  meta: Record<string, unknown>;
};

export type FileDoc = {
  _id: string;
  name: string;
  itemId: string | null;
  creatorId: string | null;
  assetstoreId: string;
  mimeType: string | null;
  size: number;
  exts: string[];
  created: Date;
  updated?: Date;
  /** Artifacts of a job (the unmerged 2018 route) hang off the job instead of an item. */
  attachedToType?: string;
  attachedToId?: string;
};

export type UploadDoc = {
  _id: string;
  created: Date;
  updated: Date;
  assetstoreId: string;
  size: number;
  name: string;
  mimeType: string;
  received: number;
  userId: string | null;
  tempFile: string;
  parentType?: 'folder' | 'item' | null;
  parentId?: string | null;
  /** Set when the upload replaces the contents of an existing file (PUT file/:id/contents). */
  fileId?: string;
  reference?: string;
};

export type TokenDoc = {
  _id: string;
  userId?: string;
  created: Date;
  expires: Date;
  scope: string[];
  apiKeyId?: string;
};

export type ApiKeyDoc = {
  _id: string;
  key: string;
  userId: string;
  name: string;
  scope: string[] | null;
  tokenDuration: number | null;
  active: boolean;
  created: Date;
  lastUse: Date | null;
};

export type JobProgress = {
  total: number | null;
  current: number | null;
  message: string | null;
  notificationId: string | null;
};

export type JobDoc = Record<string, unknown> & {
  _id: string;
  title: string;
  type: string;
  args: unknown;
  kwargs: unknown;
  created: Date;
  updated: Date;
  when: Date;
  interval: number;
  status: number | string;
  progress: JobProgress | null;
  log: string[];
  meta: Record<string, unknown>;
  handler: string | null;
  asynchronous: boolean;
  timestamps: { status: number | string; time: Date }[];
  parentId: string | null;
  public: boolean;
  userId: string | null;
  access: AccessList;
};

type Collections = {
  user: UserDoc;
  collection: CollectionDoc;
  folder: FolderDoc;
  item: ItemDoc;
  file: FileDoc;
  upload: UploadDoc;
  token: TokenDoc;
  api_key: ApiKeyDoc;
  job: JobDoc;
};

export type CollectionName = keyof Collections;
export type DocOf<K extends CollectionName> = Collections[K];

export class Store {
  readonly #maps: { [K in CollectionName]: Map<string, Collections[K]> } = {
    user: new Map(),
    collection: new Map(),
    folder: new Map(),
    item: new Map(),
    file: new Map(),
    upload: new Map(),
    token: new Map(),
    api_key: new Map(),
    job: new Map(),
  };

  get<K extends CollectionName>(name: K, id: string): Collections[K] | undefined {
    return this.#maps[name].get(id);
  }

  insert<K extends CollectionName>(name: K, doc: Collections[K]): Collections[K] {
    this.#maps[name].set(doc._id, doc);
    return doc;
  }

  remove(name: CollectionName, id: string): void {
    this.#maps[name].delete(id);
  }

  /** Every document, in insertion order (Mongo's natural order for a fresh collection). */
  all<K extends CollectionName>(name: K): Collections[K][] {
    return [...this.#maps[name].values()];
  }

  find<K extends CollectionName>(name: K, predicate: (doc: Collections[K]) => boolean): Collections[K][] {
    return this.all(name).filter(predicate);
  }

  findOne<K extends CollectionName>(
    name: K,
    predicate: (doc: Collections[K]) => boolean,
  ): Collections[K] | undefined {
    for (const doc of this.#maps[name].values()) if (predicate(doc)) return doc;
    return undefined;
  }
}

/** Mongo's ordering for the values these documents hold: missing/null first, then numbers, strings, dates. */
function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown): number =>
    v === undefined || v === null ? 0 : typeof v === 'number' ? 1 : typeof v === 'string' ? 2 : 3;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  return 0;
}

/** A cursor's sort, skip and limit (limit 0 means no limit, as in Mongo). Sorting is stable. */
export function sortAndPage<T extends Record<string, unknown>>(
  docs: readonly T[],
  sort: { field: string; dir: 1 | -1 } | undefined,
  offset: number,
  limit: number,
): T[] {
  const sorted = sort
    ? [...docs].sort((a, b) => sort.dir * compareValues(a[sort.field], b[sort.field]))
    : [...docs];
  const start = Math.max(0, offset);
  const count = Math.abs(limit);
  return count === 0 ? sorted.slice(start) : sorted.slice(start, start + count);
}
