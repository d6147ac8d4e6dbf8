import type { TaskContext } from '../../execution/task-context.js';
import { TemporaryVolume } from '../temporary-volume.js';
import { Transform } from '../transform.js';
import type { Volume } from '../volume.js';
import { childPath, downloadFolderTo, getFolderName } from '../../girder/download/download-to-disk.js';
import type { GirderConnection } from '../../girder/girder-connection.js';
import { checkGirderArgs, checkVolume, containerPathOf, prepareInput } from './girder-input.js';
import { ValidationError } from '../../core/errors.js';

export interface GirderFolderIdToVolumeOptions {
  volume?: Volume | undefined;
  /** The directory's name; by default the folder's name in Girder. */
  folderName?: string | undefined;
  gc?: GirderConnection | null | undefined;
}

/**
 * A Girder folder downloaded, recursively, into `<volume>/<folderId>/<folder name>` before the
 * container starts; as an argument, that directory's container path.
 */
export class GirderFolderIdToVolume extends Transform {
  readonly folderId: string;
  readonly volume: Volume;
  readonly folderName: string | undefined;
  readonly gc: GirderConnection | null;

  constructor(folderId: string, options: GirderFolderIdToVolumeOptions = {}) {
    super();
    const checked = checkGirderArgs('folderId', folderId, options.gc);
    const volume = options.volume ?? TemporaryVolume.default;
    checkVolume(volume);
    const name = options.folderName;
    if (
      name !== undefined &&
      (typeof name !== 'string' || !/^[^/\0]+$/.test(name) || name === '.' || name === '..')
    ) {
      throw new ValidationError('folderName', name, 'a plain directory name: no "/", not "." or ".."');
    }
    this.folderId = checked.id;
    this.volume = volume;
    this.folderName = name;
    this.gc = checked.gc;
  }

  override resolve(ctx: TaskContext): Promise<string> {
    return ctx.once(this, async () => {
      const client = ctx.girder(this.gc);
      const action = `download folder ${this.folderId}`;
      const name = this.folderName ?? (await getFolderName(client, this.folderId, { signal: ctx.signal }));
      const target = await prepareInput(ctx, this.volume, this.folderId);
      const dir = childPath(target.hostDir, name, action);
      await downloadFolderTo(client, this.folderId, dir, { signal: ctx.signal });
      return containerPathOf(target, dir);
    });
  }

  override toString(): string {
    return `GirderFolderIdToVolume(${this.folderId})`;
  }
}
