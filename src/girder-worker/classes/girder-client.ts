import {
  createGirderConnection,
  isGirderConnection,
  type GirderConnection,
} from '../../girder/girder-connection.js';
import type { PythonObjectDescription } from '../jsonpickle/encode.js';
import { PyType } from '../jsonpickle/values.js';
import type { PythonClassRegistry } from './registry.js';

export const GIRDER_CLIENT_CLASS = 'girder_client.GirderClient';

const DOCKER_GIRDER = 'girder_worker.docker.transforms.girder';

/**
 * Girder transforms of Girder Worker that longshore does not decode yet: register a factory for
 * each (`registerPythonClass`) once it exists. The `girder_io` ones exist under two module paths:
 * `girder_worker_utils.transforms.girder_io` (standalone girder_worker_utils) and
 * `girder_worker.utils.transforms.girder_io` (the copy merged into Girder's `worker/`).
 */
export const GIRDER_TRANSFORM_CLASSES = {
  GirderFileIdToVolume: `${DOCKER_GIRDER}.GirderFileIdToVolume`,
  GirderFileIdToStream: `${DOCKER_GIRDER}.GirderFileIdToStream`,
  GirderFolderIdToVolume: `${DOCKER_GIRDER}.GirderFolderIdToVolume`,
  GirderItemIdToVolume: `${DOCKER_GIRDER}.GirderItemIdToVolume`,
  GirderUploadVolumePathToItem: `${DOCKER_GIRDER}.GirderUploadVolumePathToItem`,
  GirderUploadVolumePathToFolder: `${DOCKER_GIRDER}.GirderUploadVolumePathToFolder`,
  GirderUploadVolumePathJobArtifact: `${DOCKER_GIRDER}.GirderUploadVolumePathJobArtifact`,
} as const;

/** The modules holding `GirderFileId`, `GirderItemId`, `GirderUploadToItem`... (see above). */
export const GIRDER_IO_MODULES = [
  'girder_worker_utils.transforms.girder_io',
  'girder_worker.utils.transforms.girder_io',
] as const;

/**
 * The attributes of a fresh `girder_client.GirderClient(apiUrl=..., token=...)` as Girder Worker's
 * client sends them (in Python's order); `urlBase` always ends with '/', as girder_client makes it.
 */
export function girderClientDescription(connection: GirderConnection): PythonObjectDescription {
  const urlBase = connection.apiUrl.endsWith('/') ? connection.apiUrl : `${connection.apiUrl}/`;
  return {
    classPath: GIRDER_CLIENT_CLASS,
    state: {
      host: null,
      scheme: null,
      port: null,
      urlBase,
      token: connection.token,
      _folderUploadCallbacks: [],
      _itemUploadCallbacks: [],
      _serverVersion: [],
      _serverApiDescription: {},
      incomingMetadata: {},
      localMetadata: {},
      cache: null,
      progressReporterCls: new PyType('girder_client._NoopProgressReporter'),
      _session: null,
    },
  };
}

/** `girder_client.GirderClient` ⇄ `GirderConnection` (`urlBase` → `apiUrl`, `token`). */
export function installGirderClient(registry: PythonClassRegistry): void {
  registry
    .register(GIRDER_CLIENT_CLASS, (_s, ctx) =>
      createGirderConnection(ctx.string('urlBase'), ctx.optionalString('token') ?? null),
    )
    .registerEncoderIf(isGirderConnection, (connection) => girderClientDescription(connection));
}
