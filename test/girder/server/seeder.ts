// Seeding: documents made directly, synchronously, with the same model code the routes use, so a
// seeded folder or job is indistinguishable from one made through the REST API.
import { writeFileSync } from 'node:fs';
import type { ServerState } from './context.js';
import { createCollection, createFolder, createItem, createUser, insertFileRecord } from './data-model.js';
import { writePseudoRandomFileSync } from './file-storage.js';
import { newObjectId } from './ids.js';
import { createJob } from './job-model.js';
import type { Doc, ParentType } from './store.js';
import { createApiKey, createToken } from './token-model.js';

function copy(doc: object): Doc {
  return structuredClone(doc) as Doc;
}

export class Seeder {
  constructor(protected readonly state: ServerState) {}

  /** A user (with Girder's default Public and Private folders) and a full-access token for it. */
  createUser(login: string, opts: { admin?: boolean } = {}): { user: Doc; token: string } {
    const user = createUser(this.state, login, opts.admin ?? false);
    return { user: copy(user), token: createToken(this.state, { userId: user._id })._id };
  }

  /** A token for a user (scope default: core.user_auth, i.e. everything), or with no user at all. */
  createToken(userId: string | undefined, opts: { scope?: string[]; days?: number } = {}): string {
    return createToken(this.state, {
      ...(userId !== undefined ? { userId } : {}),
      ...(opts.scope ? { scope: opts.scope } : {}),
      ...(opts.days !== undefined ? { days: opts.days } : {}),
    })._id;
  }

  createApiKey(
    userId: string,
    opts: { active?: boolean; scope?: string[]; tokenDuration?: number } = {},
  ): string {
    const user = this.state.store.get('user', userId);
    if (!user) throw new Error(`no user ${userId}`);
    return createApiKey(this.state, user, opts).key;
  }

  createCollection(name: string, opts: { public?: boolean; ownerId?: string } = {}): Doc {
    return copy(
      createCollection(this.state, name, {
        ...(opts.public !== undefined ? { public: opts.public } : {}),
        creatorId: opts.ownerId ?? null,
      }),
    );
  }

  createFolder(
    parentId: string,
    name: string,
    opts: {
      parentType?: ParentType;
      public?: boolean;
      ownerToken?: string;
      ownerId?: string;
      description?: string;
    } = {},
  ): Doc {
    const parentType = opts.parentType ?? 'folder';
    const { store } = this.state;
    const parent = store.get(parentType, parentId);
    if (!parent) throw new Error(`no ${parentType} ${parentId}`);
    const tokenOwner =
      opts.ownerToken !== undefined ? store.get('token', opts.ownerToken)?.userId : undefined;
    const inherited =
      parentType === 'user'
        ? parentId
        : parentType === 'folder'
          ? (parent as { creatorId: string | null }).creatorId
          : null;
    return copy(
      createFolder(this.state, {
        parent,
        parentType,
        name,
        creatorId: opts.ownerId ?? tokenOwner ?? inherited,
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        ...(opts.public !== undefined ? { public: opts.public } : {}),
      }),
    );
  }

  createItem(folderId: string, name: string): Doc {
    const folder = this.state.store.get('folder', folderId);
    if (!folder) throw new Error(`no folder ${folderId}`);
    return copy(createItem(this.state, { folder, name, creatorId: folder.creatorId }));
  }

  /**
   * A file with the given bytes, or `size` pseudo-random bytes written to disk chunk by chunk (fine for
   * 1 GiB): the AES-256-CTR keystream of sha256(String(seed ?? 'longshore')), the same bytes as
   * test/helpers' PseudoRandomSource(size, String(seed)) and this module's pseudoRandomBytes.
   */
  createFile(
    itemId: string,
    name: string,
    content: Buffer | { size: number; seed?: number | string },
    opts: { mimeType?: string } = {},
  ): Doc {
    const item = this.state.store.get('item', itemId);
    if (!item) throw new Error(`no item ${itemId}`);
    const _id = newObjectId();
    const path = this.state.storage.filePath(_id);
    let size: number;
    if (Buffer.isBuffer(content)) {
      writeFileSync(path, content);
      size = content.length;
    } else {
      writePseudoRandomFileSync(path, content.size, String(content.seed ?? 'longshore'));
      size = content.size;
    }
    return copy(
      insertFileRecord(this.state, {
        _id,
        item,
        name,
        size,
        creatorId: item.creatorId,
        mimeType: opts.mimeType ?? 'application/octet-stream',
      }),
    );
  }

  /**
   * A job as girder_worker's create_task_job makes one: title '<unnamed job>', type 'celery', handler
   * 'celery_handler' by default; a job token (scope jobs.job_<id>, 7 days) and the jobInfoSpec that
   * carries it. Give otherFields.celeryTaskId if the job is to be cancelled (Girder does nothing without it).
   */
  createJob(
    fields: {
      title?: string;
      type?: string;
      handler?: string;
      status?: number;
      userId?: string;
      public?: boolean;
      otherFields?: Record<string, unknown>;
    } = {},
  ) {
    const user = fields.userId !== undefined ? this.state.store.get('user', fields.userId) : undefined;
    if (fields.userId !== undefined && !user) throw new Error(`no user ${fields.userId}`);
    const { job, token, jobInfoSpec } = createJob(this.state, {
      title: fields.title ?? '<unnamed job>',
      type: fields.type ?? 'celery',
      handler: fields.handler ?? 'celery_handler',
      user: user ?? null,
      public: fields.public ?? false,
      ...(fields.status !== undefined ? { status: fields.status } : {}),
      ...(fields.otherFields ? { otherFields: fields.otherFields } : {}),
    });
    return {
      job: copy(job),
      jobToken: token,
      jobInfoSpec: { ...jobInfoSpec, headers: { ...jobInfoSpec.headers } },
    };
  }
}
