import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { TaskContext } from '../../execution/task-context.js';
import { TemporaryVolume } from '../temporary-volume.js';
import { Transform } from '../transform.js';
import type { Volume } from '../volume.js';
import { childPath, downloadFileTo, getFile } from '../../girder/download/download-to-disk.js';
import type { GirderConnection } from '../../girder/girder-connection.js';
import {
  checkGirderArgs,
  checkRelativeName,
  checkVolume,
  containerPathOf,
  prepareInput,
  removeAtEnd,
} from './girder-input.js';

export interface GirderFileIdToVolumeOptions {
  /** Where the file lands (default: the task's temporary volume). */
  volume?: Volume | undefined;
  /** Its path in the volume; by default `<fileId>/<the file's name in Girder>`. */
  filename?: string | undefined;
  /** The Girder to read from (a Python message's `gc`); by default the task's. */
  gc?: GirderConnection | null | undefined;
}

/**
 * A Girder file downloaded into a volume before the container starts; as an argument, its path in
 * the container. The file streams to disk (never through memory) and its size is checked.
 */
export class GirderFileIdToVolume extends Transform {
  readonly fileId: string;
  readonly volume: Volume;
  readonly filename: string | undefined;
  readonly gc: GirderConnection | null;

  constructor(fileId: string, options: GirderFileIdToVolumeOptions = {}) {
    super();
    const checked = checkGirderArgs('fileId', fileId, options.gc);
    const volume = options.volume ?? TemporaryVolume.default;
    checkVolume(volume);
    this.fileId = checked.id;
    this.volume = volume;
    this.filename =
      options.filename === undefined ? undefined : checkRelativeName('filename', options.filename);
    this.gc = checked.gc;
  }

  override resolve(ctx: TaskContext): Promise<string> {
    return ctx.once(this, async () => {
      const client = ctx.girder(this.gc);
      const file = await getFile(client, this.fileId, { signal: ctx.signal });
      const target = await prepareInput(
        ctx,
        this.volume,
        this.filename === undefined ? this.fileId : undefined,
      );
      let hostPath: string;
      if (this.filename === undefined) {
        hostPath = childPath(target.hostDir, file.name, `download file ${this.fileId}`);
      } else {
        hostPath = path.join(target.hostDir, this.filename);
        await mkdir(path.dirname(hostPath), { recursive: true });
        removeAtEnd(ctx, hostPath);
      }
      await downloadFileTo(client, file, hostPath, { signal: ctx.signal });
      return containerPathOf(target, hostPath);
    });
  }

  override toString(): string {
    return this.filename === undefined
      ? `GirderFileIdToVolume(${this.fileId})`
      : `GirderFileIdToVolume(${this.fileId} -> ${JSON.stringify(this.filename)})`;
  }
}
