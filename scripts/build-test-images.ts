// Builds the locally made test images without `docker build` (nothing can be pulled here): a
// docker-archive with a static busybox root file system (plus, for some images, files of the host
// such as its python3 or node) is made in memory and loaded into the engine.
// Each image carries a content hash of its definition; an image whose hash matches is left alone.
// Run with: npx tsx scripts/build-test-images.ts
import Docker from 'dockerode';
import { z } from 'zod';
import { dockerArchive, imageConfig, sha256, type ContainerConfig } from './images/docker-archive.js';
import { busyboxRootfs, layerKey, packLayer } from './images/rootfs.js';
import { DEFINITION_HASH_LABEL, ENV, imageDefinitions, type ImageDefinition } from './images/definitions.js';

/** Bump to rebuild every image when the way images are made changes. */
const BUILDER_VERSION = 1;
const REGISTRY = process.env.LONGSHORE_REGISTRY ?? '127.0.0.1:5000';

const docker = new Docker();

const progressLine = z.object({
  error: z.string().optional(),
  errorDetail: z.object({ message: z.string().optional() }).optional(),
});

/** Reads a JSON-lines progress stream (load, push) to its end; throws on an error line. */
async function drainProgress(stream: NodeJS.ReadableStream, what: string): Promise<void> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // Not JSON (plain-text answers of old engines): nothing to check.
    }
    const result = progressLine.safeParse(parsed);
    const message = result.success ? (result.data.error ?? result.data.errorDetail?.message) : undefined;
    if (message) throw new Error(`${what} failed: ${message}`);
  }
}

async function imageInfo(ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** Builds (if its hash changed) one image; returns its image id. */
async function ensureImage(def: ImageDefinition, baseLayer: Buffer): Promise<string> {
  const ref = `${def.name}:latest`;
  const extraFiles = typeof def.extraFiles === 'function' ? def.extraFiles() : def.extraFiles;
  const definition = {
    builder: BUILDER_VERSION,
    name: def.name,
    cmd: def.cmd,
    entrypoint: def.entrypoint,
    labels: def.labels,
    layers: [sha256(baseLayer), ...(extraFiles ? [await layerKey(extraFiles)] : [])],
  };
  const hash = sha256(JSON.stringify(definition));
  const existing = await imageInfo(ref);
  if (existing?.Config?.Labels?.[DEFINITION_HASH_LABEL] === hash) {
    console.log(`${ref}: up to date`);
    return existing.Id;
  }

  // Packed only now: a layer of host files may be large (node).
  const layers = extraFiles ? [baseLayer, await packLayer(extraFiles)] : [baseLayer];
  const config: ContainerConfig = {
    ...(def.cmd ? { Cmd: def.cmd } : {}),
    ...(def.entrypoint ? { Entrypoint: def.entrypoint } : {}),
    Env: ENV,
    WorkingDir: '/',
    Labels: { ...def.labels, [DEFINITION_HASH_LABEL]: hash },
  };
  const configJson = imageConfig(layers, config);
  await drainProgress(await docker.loadImage(dockerArchive(ref, configJson, layers)), `loading ${ref}`);
  const loaded = await imageInfo(ref);
  const expectedId = `sha256:${sha256(configJson)}`;
  if (loaded?.Id !== expectedId)
    throw new Error(`${ref}: expected image ${expectedId} after load, got ${loaded?.Id}`);
  if (existing && existing.Id !== loaded.Id) {
    // The previous build is now untagged; drop it unless something still uses it.
    await docker
      .getImage(existing.Id)
      .remove()
      .catch(() => undefined);
  }
  console.log(`${ref}: built`);
  return loaded.Id;
}

/** The image id (config digest) of `name:latest` in the local registry, if it has it. */
async function registryImageId(name: string): Promise<string | undefined> {
  const url = `http://${REGISTRY}/v2/${name}/manifests/latest`;
  const res = await fetch(url, {
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  if (res.status === 404) return undefined;
  if (!res.ok)
    throw new Error(`GET ${url}: HTTP ${res.status} (is the registry up? run bash scripts/setup.sh)`);
  const manifest = z.object({ config: z.object({ digest: z.string() }).optional() }).parse(await res.json());
  return manifest.config?.digest;
}

/** Pushes `name:latest` to the local registry unless it is there already, then drops the registry tag locally. */
async function ensurePushed(name: string, imageId: string): Promise<void> {
  const remote = `${REGISTRY}/${name}`;
  if ((await registryImageId(name)) === imageId) {
    console.log(`${remote}:latest: up to date`);
    return;
  }
  await docker.getImage(`${name}:latest`).tag({ repo: remote, tag: 'latest' });
  try {
    const stream = await docker
      .getImage(remote)
      .push({ tag: 'latest', authconfig: { serveraddress: REGISTRY } });
    await drainProgress(stream, `pushing ${remote}:latest`);
  } finally {
    // Untag only (the image stays as name:latest), so that tests pull it from the registry for real.
    await docker
      .getImage(`${remote}:latest`)
      .remove({ noprune: true })
      .catch(() => undefined);
  }
  if ((await registryImageId(name)) !== imageId)
    throw new Error(`${remote}:latest: push did not reach the registry`);
  console.log(`${remote}:latest: pushed`);
}

async function main(): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(`the Docker engine does not answer (${String(err)}); run bash scripts/setup.sh`, {
      cause: err,
    });
  }
  const baseLayer = await packLayer(busyboxRootfs());
  for (const def of imageDefinitions()) {
    try {
      const id = await ensureImage(def, baseLayer);
      if (def.push) await ensurePushed(def.name, id);
    } catch (err) {
      throw new Error(`${def.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}

main().catch((err: unknown) => {
  console.error(`build-test-images: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
