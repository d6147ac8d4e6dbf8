import type { TaskContext } from '../../execution/task-context.js';
import { TemporaryVolume } from '../temporary-volume.js';
import { Transform } from '../transform.js';
import type { Volume } from '../volume.js';
import { downloadItemTo } from '../../girder/download/download-to-disk.js';
import type { GirderConnection } from '../../girder/girder-connection.js';
import { checkGirderArgs, checkVolume, containerPathOf, prepareInput } from './girder-input.js';

export interface GirderItemIdToVolumeOptions {
  volume?: Volume | undefined;
  gc?: GirderConnection | null | undefined;
}

/**
 * A Girder item downloaded into `<volume>/<itemId>/` before the container starts. As Girder
 * Worker does, an item holding one file named like the item becomes that file; any other item a
 * directory named after the item. As an argument: that file's or directory's container path.
 */
export class GirderItemIdToVolume extends Transform {
  readonly itemId: string;
  readonly volume: Volume;
  readonly gc: GirderConnection | null;

  constructor(itemId: string, options: GirderItemIdToVolumeOptions = {}) {
    super();
    const checked = checkGirderArgs('itemId', itemId, options.gc);
    const volume = options.volume ?? TemporaryVolume.default;
    checkVolume(volume);
    this.itemId = checked.id;
    this.volume = volume;
    this.gc = checked.gc;
  }

  override resolve(ctx: TaskContext): Promise<string> {
    return ctx.once(this, async () => {
      const client = ctx.girder(this.gc);
      const target = await prepareInput(ctx, this.volume, this.itemId);
      const made = await downloadItemTo(client, this.itemId, target.hostDir, { signal: ctx.signal });
      return containerPathOf(target, made);
    });
  }

  override toString(): string {
    return `GirderItemIdToVolume(${this.itemId})`;
  }
}
