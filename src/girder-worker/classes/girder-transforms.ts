import { GirderFileIdToStream } from '../../transforms/girder/girder-file-id-to-stream.js';
import { GirderFileIdToVolume } from '../../transforms/girder/girder-file-id-to-volume.js';
import { GirderFolderIdToVolume } from '../../transforms/girder/girder-folder-id-to-volume.js';
import { GirderItemIdToVolume } from '../../transforms/girder/girder-item-id-to-volume.js';
import { GirderUploadVolumePathJobArtifact } from '../../transforms/girder/girder-upload-volume-path-job-artifact.js';
import { GirderUploadVolumePathToFolder } from '../../transforms/girder/girder-upload-volume-path-to-folder.js';
import { GirderUploadVolumePathToItem } from '../../transforms/girder/girder-upload-volume-path-to-item.js';
import { GirderUploadJobArtifact } from '../../transforms/girder/girder-upload-job-artifact.js';
import { GirderUploadStream } from '../../transforms/girder/girder-upload-stream.js';
import type { GirderConnection } from '../../girder/girder-connection.js';
import { ProtocolError } from '../../core/protocol-error.js';
import { volumeForPython } from './docker-transforms.js';
import { GIRDER_TRANSFORM_CLASSES as G } from './girder-client.js';
import type { PythonClassRegistry, PythonEncodeOptions } from './registry.js';

/**
 * Girder Worker's Girder transforms ⇄ longshore's. Each carries the `gc` (a
 * `girder_client.GirderClient`) Girder serialized into it; a null `gc` (a message sent outside
 * Girder) means "the task's Girder": the `girder_api_url` / `girder_client_token` headers, or
 * the worker's configuration. Sent, a transform without a connection of its own carries the
 * client's configured Girder (`options.girder`) as its `gc`, as Girder sends it: a Python worker
 * reads nothing else. The `_file_path`-style attributes are set by Python only after a
 * transform ran, so a message carries them as null.
 */
export function installGirderTransforms(registry: PythonClassRegistry): void {
  registry
    .register(
      G.GirderFileIdToVolume,
      (_s, ctx) =>
        new GirderFileIdToVolume(ctx.string('_file_id'), {
          volume: ctx.volume('_volume'),
          filename: ctx.optionalString('_filename'),
          gc: ctx.girderConnection('gc'),
        }),
    )
    .register(
      G.GirderFileIdToStream,
      (_s, ctx) => new GirderFileIdToStream(ctx.string('file_id'), { gc: ctx.girderConnection('gc') }),
    )
    .register(
      G.GirderItemIdToVolume,
      (_s, ctx) =>
        new GirderItemIdToVolume(ctx.string('_item_id'), {
          volume: ctx.volume('_volume'),
          gc: ctx.girderConnection('gc'),
        }),
    )
    .register(
      G.GirderFolderIdToVolume,
      (_s, ctx) =>
        new GirderFolderIdToVolume(ctx.string('_folder_id'), {
          volume: ctx.volume('_volume'),
          folderName: ctx.optionalString('_folder_name'),
          gc: ctx.girderConnection('gc'),
        }),
    )
    .register(
      G.GirderUploadVolumePathToItem,
      (_s, ctx) =>
        new GirderUploadVolumePathToItem(ctx.volumePath('_volumepath'), ctx.string('item_id'), {
          deleteFile: ctx.boolean('delete_file', false),
          gc: ctx.girderConnection('gc'),
        }),
    )
    .register(
      G.GirderUploadVolumePathToFolder,
      (_s, ctx) =>
        new GirderUploadVolumePathToFolder(ctx.volumePath('_volumepath'), ctx.string('folder_id'), {
          deleteFile: ctx.boolean('delete_file', false),
          gc: ctx.girderConnection('gc'),
        }),
    )
    .register(
      G.GirderUploadVolumePathJobArtifact,
      (_s, ctx) =>
        new GirderUploadVolumePathJobArtifact(ctx.volumePath('_volumepath'), {
          jobId: ctx.optionalString('job_id'),
          name: ctx.optionalString('name'),
          uploadOnException: ctx.boolean('_upload_on_exception', false),
          gc: ctx.girderConnection('gc'),
        }),
    );

  registry
    // No Girder Worker class: refused by name rather than as an unknown object.
    .registerEncoder(GirderUploadStream, (s, path) => {
      throw longshoreOnly('GirderUploadStream', String(s), path);
    })
    .registerEncoder(GirderUploadJobArtifact, (h, path) => {
      throw longshoreOnly('GirderUploadJobArtifact', String(h), path);
    })
    .registerEncoder(GirderFileIdToVolume, (t, _path, o) => ({
      classPath: G.GirderFileIdToVolume,
      state: {
        gc: gcOf(t, o),
        _file_id: t.fileId,
        _volume: volumeForPython(t.volume, 'GirderFileIdToVolume'),
        _filename: t.filename ?? null,
        _file_path: null,
      },
    }))
    .registerEncoder(GirderFileIdToStream, (t, _path, o) => ({
      classPath: G.GirderFileIdToStream,
      state: { gc: gcOf(t, o), file_id: t.fileId },
    }))
    .registerEncoder(GirderItemIdToVolume, (t, _path, o) => ({
      classPath: G.GirderItemIdToVolume,
      state: {
        gc: gcOf(t, o),
        _item_id: t.itemId,
        _volume: volumeForPython(t.volume, 'GirderItemIdToVolume'),
        _item_path: null,
      },
    }))
    .registerEncoder(GirderFolderIdToVolume, (t, _path, o) => ({
      classPath: G.GirderFolderIdToVolume,
      state: {
        gc: gcOf(t, o),
        _folder_id: t.folderId,
        _volume: volumeForPython(t.volume, 'GirderFolderIdToVolume'),
        _folder_name: t.folderName ?? null,
        _folder_path: null,
      },
    }))
    // Python's attribute order; `upload_kwargs` are girder_client's extra upload arguments.
    .registerEncoder(GirderUploadVolumePathToItem, (h, _path, o) => ({
      classPath: G.GirderUploadVolumePathToItem,
      state: {
        gc: gcOf(h, o),
        item_id: h.itemId,
        upload_kwargs: {},
        delete_file: h.deleteFile,
        _volumepath: h.volumePath,
      },
    }))
    .registerEncoder(GirderUploadVolumePathToFolder, (h, _path, o) => ({
      classPath: G.GirderUploadVolumePathToFolder,
      state: {
        gc: gcOf(h, o),
        folder_id: h.folderId,
        upload_kwargs: {},
        delete_file: h.deleteFile,
        must_exist: true,
        _volumepath: h.volumePath,
      },
    }))
    .registerEncoder(GirderUploadVolumePathJobArtifact, (h, _path, o) => ({
      classPath: G.GirderUploadVolumePathJobArtifact,
      state: {
        gc: gcOf(h, o),
        job_id: h.jobId,
        name: h.name,
        _volumepath: h.volumePath,
        _upload_on_exception: h.uploadOnException,
      },
    }));
}

/** The transform's own connection, else the sending client's Girder, else None. */
function gcOf(
  transform: { gc: GirderConnection | null },
  options: PythonEncodeOptions,
): GirderConnection | null {
  if (transform.gc) return transform.gc;
  if (!options.girder) return null;
  options.onGirder?.();
  return options.girder;
}

/**
 * A longshore class with no Girder Worker counterpart: a Python worker could not restore it and
 * a longshore worker decodes only Girder Worker's classes, so it runs where it is made.
 */
function longshoreOnly(className: string, shown: string, path: string): ProtocolError {
  return new ProtocolError(
    `${shown} (a ${className}) at ${path} cannot be sent to another process: ${className} is ` +
      'longshore-only (Girder Worker has no such class), so only longshore runs it, in the process ' +
      'that runs the container: in-process (no broker, or inProcess), e.g. in a task a longshore worker runs',
  );
}
