// What the locally built test images contain.
import { readFileSync } from 'node:fs';
import { nodeRootfs } from './node-rootfs.js';
import { pythonRootfs } from './python-rootfs.js';
import type { RootfsEntry } from './rootfs.js';

export interface ImageDefinition {
  /** Repository name; always tagged `:latest`. */
  name: string;
  cmd?: string[];
  entrypoint?: string[];
  labels?: Record<string, string>;
  /**
   * Files added on top of the busybox base layer (as a second layer). A function when finding them
   * means running host programs (ldd, python3) that may fail: it runs only when that image is built.
   */
  extraFiles?: RootfsEntry[] | (() => RootfsEntry[]);
  /** Also push it to the local registry (then drop the registry tag locally). */
  push?: boolean;
}

export const BUSYBOX_IMAGE = 'longshore/busybox';
export const CONFORMANCE_IMAGE = 'longshore/conformance';
export const GPU_LABELLED_IMAGE = 'longshore/gpu-labelled';
export const PYTHON_IMAGE = 'longshore/python';
export const NODE_IMAGE = 'longshore/node';

/** The image label holding the content hash of the definition. */
export const DEFINITION_HASH_LABEL = 'org.longshore.test-image.definition-hash';

export const ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

export function imageDefinitions(): ImageDefinition[] {
  const conformance = readFileSync(new URL('./conformance.sh', import.meta.url));
  return [
    { name: BUSYBOX_IMAGE, cmd: ['sh'] },
    {
      name: CONFORMANCE_IMAGE,
      entrypoint: ['/usr/local/bin/conformance'],
      extraFiles: [{ path: 'usr/local/bin/conformance', type: 'file', mode: 0o755, content: conformance }],
      push: true,
    },
    // Girder Worker's rule: an image with this label asks for GPUs.
    { name: GPU_LABELLED_IMAGE, cmd: ['sh'], labels: { 'com.nvidia.volumes.needed': 'nvidia_driver' } },
    // Languages other than sh for the examples of progress reporting, from the host's own binaries.
    { name: PYTHON_IMAGE, cmd: ['python3'], extraFiles: pythonRootfs },
    { name: NODE_IMAGE, cmd: ['node'], extraFiles: nodeRootfs },
  ];
}
