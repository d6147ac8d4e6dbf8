// A "docker save" archive (manifest.json + config JSON + layer tars) built in memory, for `docker load`.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

export interface ContainerConfig {
  Cmd?: string[];
  Entrypoint?: string[];
  Env: string[];
  WorkingDir: string;
  Labels: Record<string, string>;
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

const CREATED = '2024-01-01T00:00:00Z';

function dockerArch(): string {
  const arches: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  return arches[process.arch] ?? process.arch;
}

/** The image config JSON; its sha256 is the image id the engine will give the loaded image. */
export function imageConfig(layers: readonly Buffer[], config: ContainerConfig): Buffer {
  const json = {
    architecture: dockerArch(),
    os: 'linux',
    created: CREATED,
    config,
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => `sha256:${sha256(layer)}`) },
    history: layers.map(() => ({ created: CREATED, created_by: 'longshore scripts/build-test-images.ts' })),
  };
  return Buffer.from(JSON.stringify(json));
}

/** A readable docker-archive holding one image tagged `repoTag`. */
export function dockerArchive(repoTag: string, configJson: Buffer, layers: readonly Buffer[]): Readable {
  const pack = tar.pack();
  const configName = `${sha256(configJson)}.json`;
  const layerNames = layers.map((layer) => `${sha256(layer)}/layer.tar`);
  layers.forEach((layer, i) => pack.entry({ name: layerNames[i] ?? '', mode: 0o644 }, layer));
  pack.entry({ name: configName, mode: 0o644 }, configJson);
  const manifest = [{ Config: configName, RepoTags: [repoTag], Layers: layerNames }];
  pack.entry({ name: 'manifest.json', mode: 0o644 }, JSON.stringify(manifest));
  pack.finalize();
  // tar-stream packs are streamx streams; hand dockerode a plain Node stream.
  return Readable.from(pack);
}
