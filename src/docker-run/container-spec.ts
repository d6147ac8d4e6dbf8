import type { VolumeMount } from '../execution/endpoints.js';
import type { ParsedDockerRunOptions } from './docker-run-options.js';

/** Girder Worker's rule: an image with this label needs the NVIDIA driver, so it gets GPUs. */
export const NVIDIA_LABEL = 'com.nvidia.volumes.needed';

export interface ContainerSpecInput {
  image: string;
  options: ParsedDockerRunOptions;
  args: string[];
  mounts: VolumeMount[];
  labels: Record<string, string>;
  imageLabels: Record<string, string>;
}

/** The engine's container-create body for one task. Pure: no engine call happens here. */
export function buildCreateBody(input: ContainerSpecInput): Record<string, unknown> {
  const { options } = input;
  const hostConfig: Record<string, unknown> = {
    // Mounts rather than "host:container:mode" Binds strings: paths may contain colons.
    Mounts: input.mounts.map((m) => ({
      Type: 'bind',
      Source: m.hostPath,
      Target: m.containerPath,
      ReadOnly: m.mode === 'ro',
    })),
  };
  if (options.network) hostConfig.NetworkMode = options.network;
  if (options.memory !== undefined) hostConfig.Memory = toBytes(options.memory);
  if (options.shmSize !== undefined) hostConfig.ShmSize = toBytes(options.shmSize);
  if (options.cpus !== undefined) hostConfig.NanoCpus = Math.round(options.cpus * 1e9);
  const gpus = options.gpus ?? (input.imageLabels[NVIDIA_LABEL] === 'nvidia_driver' ? 'all' : undefined);
  if (gpus !== undefined) hostConfig.DeviceRequests = [deviceRequest(gpus)];

  const body: Record<string, unknown> = {
    Image: input.image,
    Cmd: input.args,
    Env: toEnvList(options.environment),
    Labels: { ...options.labels, ...input.labels },
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: hostConfig,
  };
  if (options.entrypoint !== undefined) {
    body.Entrypoint = typeof options.entrypoint === 'string' ? [options.entrypoint] : options.entrypoint;
  }
  if (options.workingDir) body.WorkingDir = options.workingDir;
  if (options.user) body.User = options.user;
  if (options.name) body.name = options.name;
  return mergeCreateOptions(body, options.createOptions ?? {});
}

function deviceRequest(gpus: 'all' | number | string[]): Record<string, unknown> {
  const base = { Driver: '', Capabilities: [['gpu']], Options: {} };
  if (gpus === 'all') return { ...base, Count: -1 };
  if (typeof gpus === 'number') return { ...base, Count: gpus };
  return { ...base, Count: 0, DeviceIDs: gpus };
}

function toEnvList(environment: Record<string, string> | string[] | undefined): string[] {
  if (!environment) return [];
  return Array.isArray(environment) ? environment : Object.entries(environment).map(([k, v]) => `${k}=${v}`);
}

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Docker's own size syntax (512m, 2g...), binary units as the docker CLI reads them. */
export function toBytes(size: number | string): number {
  if (typeof size === 'number') return size;
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)/i.exec(size.trim())!;
  return Math.round(Number(match[1]) * (UNITS[(match[2] || 'b').toLowerCase()] ?? 1));
}

/** The caller's raw create options win, one level deep into HostConfig, and Mounts add up. */
function mergeCreateOptions(
  body: Record<string, unknown>,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const {
    HostConfig: extraHost,
    Labels: extraLabels,
    ...rest
  } = extra as {
    HostConfig?: Record<string, unknown>;
    Labels?: Record<string, string>;
  };
  const host = { ...(body.HostConfig as Record<string, unknown>) };
  for (const [key, value] of Object.entries(extraHost ?? {})) {
    host[key] =
      key === 'Mounts' && Array.isArray(value)
        ? [...(host.Mounts as unknown[]), ...(value as unknown[])]
        : value;
  }
  return {
    ...body,
    ...rest,
    Labels: { ...(extraLabels ?? {}), ...(body.Labels as Record<string, string>) },
    HostConfig: host,
  };
}
