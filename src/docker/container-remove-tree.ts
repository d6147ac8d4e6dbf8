import { LongshoreError } from '../core/errors.js';
import type { DockerEngine } from './engine.js';
import { LABEL_OWNER, ownerLabel } from './ownership.js';

/**
 * A container that ran as root may leave files this (non-root) process cannot delete. Girder
 * Worker runs a busybox container for this; we use the task's own image, which is known to be
 * present, and its shell. Only used when a plain delete fails with EACCES/EPERM.
 */
export async function removeTreeWithContainer(
  engine: DockerEngine,
  image: string,
  hostPath: string,
): Promise<void> {
  const id = await engine.createContainer({
    Image: image,
    Entrypoint: [
      '/bin/sh',
      '-c',
      'rm -rf /longshore-cleanup/* /longshore-cleanup/.[!.]* /longshore-cleanup/..?*',
    ],
    Cmd: [],
    User: '0',
    Labels: { [LABEL_OWNER]: ownerLabel() },
    HostConfig: {
      Mounts: [{ Type: 'bind', Source: hostPath, Target: '/longshore-cleanup', ReadOnly: false }],
      NetworkMode: 'none',
    },
  });
  try {
    await engine.start(id);
    const code = await engine.wait(id);
    if (code !== 0) {
      throw new LongshoreError('ERR_CLEANUP', `Cleanup container for ${hostPath} exited with ${code}`);
    }
  } finally {
    await engine.remove(id);
  }
}
