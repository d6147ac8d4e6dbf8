// Images: pulling from the local registry, missing images, and the GPU rule.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContainerStartError, ImageNotFoundError, ImagePullError, dockerRun } from '../../src/index.js';
import {
  BUSYBOX,
  GPU_LABELLED,
  REGISTRY,
  REGISTRY_CONFORMANCE,
  containersCreatedSince,
  docker,
  imageExists,
  removeContainerQuietly,
  removeImageQuietly,
} from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { rejection, watch } from '../helpers/task.js';

useLeakChecks();

/** The engine's words when a GPU is asked for on a machine without the NVIDIA runtime. */
const NO_GPU_DRIVER = /could not select device driver|gpu|nvidia/i;

describe('pulling', () => {
  it('pullImage true pulls from the registry, reporting pull events, then runs', async () => {
    await removeImageQuietly(REGISTRY_CONFORMANCE);
    try {
      expect(await imageExists(REGISTRY_CONFORMANCE)).toBe(false);
      const handle = dockerRun.delay(REGISTRY_CONFORMANCE, {
        containerArgs: ['stdio', '-m', 'pulled and ran'],
        pullImage: true,
      });
      const seen = watch(handle);
      await handle.get();
      expect(seen.stdout).toBe('pulled and ran\n');
      expect(seen.pulls.length).toBeGreaterThan(0);
      expect(seen.pulls.every((p) => p.image === REGISTRY_CONFORMANCE && typeof p.status === 'string')).toBe(
        true,
      );
      expect(seen.pulls.some((p) => /digest|status|up to date|downloaded/i.test(p.status))).toBe(true);
      expect(await imageExists(REGISTRY_CONFORMANCE)).toBe(true);
    } finally {
      await removeImageQuietly(REGISTRY_CONFORMANCE);
    }
  });

  it("pullImage 'ifNotPresent' (the default) does not pull an image the engine has", async () => {
    const handle = dockerRun.delay(BUSYBOX, { containerArgs: ['true'] });
    const seen = watch(handle);
    await handle.get();
    expect(seen.pulls).toEqual([]);
  });

  it('pullImage false with a missing image: ImageNotFoundError, no container created', async () => {
    const since = Date.now();
    const image = `longshore/missing-${randomUUID().slice(0, 8)}:latest`;
    const handle = dockerRun.delay(image, { containerArgs: ['true'], pullImage: false });
    const seen = watch(handle);
    const error = await rejection(handle.get());
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect((error as ImageNotFoundError).image).toBe(image);
    expect(seen.pulls).toEqual([]);
    expect(handle.status).toBe('FAILURE');
    expect(await containersCreatedSince(since)).toEqual([]);
  });

  it('an image missing from the registry: ImagePullError, no container created', async () => {
    const since = Date.now();
    const image = `${REGISTRY}/longshore/nope:latest`;
    const error = await rejection(dockerRun.delay(image, { containerArgs: ['true'] }).get());
    expect(error).toBeInstanceOf(ImagePullError);
    expect((error as ImagePullError).image).toBe(image);
    expect(await containersCreatedSince(since)).toEqual([]);
  });

  it('pullImage true with an image missing from the registry: ImagePullError', async () => {
    const error = await rejection(
      dockerRun
        .delay(`${REGISTRY}/longshore/nope:latest`, { containerArgs: ['true'], pullImage: true })
        .get(),
    );
    expect(error).toBeInstanceOf(ImagePullError);
  });
});

describe('GPUs', () => {
  it('an image labelled com.nvidia.volumes.needed gets a GPU device request', async () => {
    const name = `longshore-test-gpu-${randomUUID().slice(0, 8)}`;
    try {
      const handle = dockerRun.delay(GPU_LABELLED, { containerArgs: ['true'], removeContainer: false, name });
      const error = await rejection(handle.get());
      // This machine has no GPU: the engine refuses to start the container.
      expect(error).toBeInstanceOf(ContainerStartError);
      expect((error as ContainerStartError).message).toMatch(NO_GPU_DRIVER);
      const { HostConfig } = await docker.getContainer(name).inspect();
      expect(HostConfig.DeviceRequests).toEqual([
        expect.objectContaining({ Count: -1, Capabilities: [['gpu']] }),
      ]);
    } finally {
      await removeContainerQuietly(name);
    }
  });

  it('a labelled image fails to start here with ContainerStartError, and nothing is left', async () => {
    const since = Date.now();
    const error = await rejection(dockerRun.delay(GPU_LABELLED, { containerArgs: ['true'] }).get());
    expect(error).toBeInstanceOf(ContainerStartError);
    expect((error as ContainerStartError).message).toMatch(NO_GPU_DRIVER);
    // The container was created, then removed (the leak check after the test proves it is gone).
    expect(await containersCreatedSince(since)).toHaveLength(1);
  });

  it('gpus: 1 on busybox requests one GPU, and fails the same way here', async () => {
    const name = `longshore-test-gpus-${randomUUID().slice(0, 8)}`;
    try {
      const error = await rejection(
        dockerRun.delay(BUSYBOX, { containerArgs: ['true'], gpus: 1, removeContainer: false, name }).get(),
      );
      expect(error).toBeInstanceOf(ContainerStartError);
      expect((error as ContainerStartError).message).toMatch(NO_GPU_DRIVER);
      const { HostConfig } = await docker.getContainer(name).inspect();
      expect(HostConfig.DeviceRequests).toEqual([
        expect.objectContaining({ Count: 1, Capabilities: [['gpu']] }),
      ]);
    } finally {
      await removeContainerQuietly(name);
    }
  });

  it('gpus: 1 with removeContainer (the default) leaves nothing behind', async () => {
    const error = await rejection(dockerRun.delay(BUSYBOX, { containerArgs: ['true'], gpus: 1 }).get());
    expect(error).toBeInstanceOf(ContainerStartError);
  });

  it('an image without the label gets no device request', async () => {
    const name = `longshore-test-nogpu-${randomUUID().slice(0, 8)}`;
    try {
      await dockerRun.delay(BUSYBOX, { containerArgs: ['true'], removeContainer: false, name }).get();
      const { HostConfig } = await docker.getContainer(name).inspect();
      expect(HostConfig.DeviceRequests ?? []).toEqual([]);
    } finally {
      await removeContainerQuietly(name);
    }
  });
});
