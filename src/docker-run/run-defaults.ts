import { ValidationError, messageOf } from '../core/errors.js';
import {
  DOCKER_RUN_OPTIONS_ENV,
  GIRDER_WORKER_DOCKER_RUN_OPTIONS_ENV,
  getConfiguration,
} from '../config/configuration.js';
import type { VolumeMount } from '../execution/endpoints.js';
import { parseDockerRunOptions, type ParsedDockerRunOptions } from './docker-run-options.js';

/**
 * Site-wide defaults for every container, from the environment: `LONGSHORE_DOCKER_RUN_OPTIONS`
 * (longshore's own option names, as JSON) and Girder Worker's `GIRDER_WORKER_DOCKER_RUN_OPTIONS`
 * (docker-py names), so that an existing Girder Worker deployment keeps its settings.
 * Girder Worker's variable applies first; longshore's, then the task's own options, win.
 */
export interface RunDefaults {
  options: ParsedDockerRunOptions;
  /** Extra bind mounts; Girder Worker's "host:container" strings default to read-only. */
  binds: VolumeMount[];
}

const GW_VAR = GIRDER_WORKER_DOCKER_RUN_OPTIONS_ENV;
const LS_VAR = DOCKER_RUN_OPTIONS_ENV;

type GwMapper = (value: unknown, into: Record<string, unknown>, binds: VolumeMount[]) => void;

const rename =
  (to: string): GwMapper =>
  (value, into) => {
    into[to] = value;
  };

const hostConfig =
  (field: string): GwMapper =>
  (value, into) => {
    const create = (into.createOptions ??= {}) as Record<string, Record<string, unknown>>;
    (create.HostConfig ??= {})[field] = value;
  };

const GW_OPTIONS: Record<string, GwMapper> = {
  environment: rename('environment'),
  network: rename('network'),
  network_mode: rename('network'),
  mem_limit: rename('memory'),
  shm_size: rename('shmSize'),
  user: rename('user'),
  working_dir: rename('workingDir'),
  entrypoint: rename('entrypoint'),
  labels: rename('labels'),
  nano_cpus: (value, into) => {
    into.cpus = Number(value) / 1e9;
  },
  runtime: hostConfig('Runtime'),
  privileged: hostConfig('Privileged'),
  cap_add: hostConfig('CapAdd'),
  ipc_mode: hostConfig('IpcMode'),
  device_requests: (value, into) => {
    const requests = (Array.isArray(value) ? value : []) as Record<string, unknown>[];
    hostConfig('DeviceRequests')(
      requests.map((r) => ({
        Driver: r.driver ?? r.Driver ?? '',
        Count: r.count ?? r.Count ?? 0,
        DeviceIDs: r.device_ids ?? r.DeviceIDs ?? null,
        Capabilities: r.capabilities ?? r.Capabilities ?? null,
        Options: r.options ?? r.Options ?? {},
      })),
      into,
      [],
    );
  },
  volumes: (value, _into, binds) => {
    if (Array.isArray(value)) {
      value.forEach((spec, i) => binds.push(parseBindString(spec, `${GW_VAR}.volumes[${i}]`, 'ro')));
    } else if (value && typeof value === 'object') {
      for (const [hostPath, target] of Object.entries(
        value as Record<string, { bind?: string; mode?: string }>,
      )) {
        binds.push(toMount(hostPath, target?.bind, target?.mode ?? 'rw', `${GW_VAR}.volumes.${hostPath}`));
      }
    } else {
      throw new ValidationError(
        `${GW_VAR}.volumes`,
        value,
        'expected a list of "host:container[:mode]" or a dict',
      );
    }
  },
};

export function loadRunDefaults(texts = getConfiguration().dockerRunDefaults): RunDefaults {
  const binds: VolumeMount[] = [];
  const merged: Record<string, unknown> = {};
  const gw = readJson(texts.girderWorker, GW_VAR);
  for (const [key, value] of Object.entries(gw)) {
    const map = GW_OPTIONS[key];
    if (!map) throw new ValidationError(`${GW_VAR}.${key}`, value, 'not an option longshore understands');
    map(value, merged, binds);
  }
  const own = parseDockerRunOptions(readJson(texts.longshore, LS_VAR), LS_VAR);
  const { volumes, ...rest } = own;
  if (Array.isArray(volumes)) throw new ValidationError(`${LS_VAR}.volumes`, volumes, 'expected a dict');
  for (const [hostPath, target] of Object.entries(volumes ?? {})) {
    binds.push(toMount(hostPath, target.bind, target.mode ?? 'rw', `${LS_VAR}.volumes.${hostPath}`));
  }
  const options = parseDockerRunOptions({ ...merged, ...rest }, GW_VAR);
  return { options, binds };
}

export function parseBindString(spec: unknown, field: string, defaultMode: 'ro' | 'rw'): VolumeMount {
  if (typeof spec !== 'string') throw new ValidationError(field, spec, 'expected "host:container[:mode]"');
  const [hostPath, containerPath, mode = defaultMode, ...extra] = spec.split(':');
  if (extra.length > 0 || !hostPath || !containerPath) {
    throw new ValidationError(field, spec, 'expected "host:container[:mode]"');
  }
  return toMount(hostPath, containerPath, mode, field);
}

function toMount(
  hostPath: string,
  containerPath: string | undefined,
  mode: string,
  field: string,
): VolumeMount {
  if (!hostPath.startsWith('/')) throw new ValidationError(field, hostPath, 'expected an absolute host path');
  if (!containerPath?.startsWith('/')) {
    throw new ValidationError(field, containerPath, 'expected an absolute container path');
  }
  if (mode !== 'ro' && mode !== 'rw') throw new ValidationError(field, mode, 'expected mode ro or rw');
  return { hostPath, containerPath, mode };
}

function readJson(text: string | undefined, name: string): Record<string, unknown> {
  if (!text?.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(name, text, `expected JSON: ${messageOf(error)}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(name, value, 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}
