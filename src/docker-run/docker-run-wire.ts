import { z } from 'zod';
import type { DockerRunOptions } from './docker-run-options.js';
import { ValidationError } from '../core/errors.js';
import { parseOrThrow } from '../core/parse.js';

/**
 * dockerRun on the wire, both ways. Python's signature is
 * `docker_run(image, pull_image=True, entrypoint=None, container_args=None, volumes=None,
 * remove_container=True, **kwargs)`, the rest going to docker-py's `containers.run`; so a
 * longshore client sends args `[image]` and docker-py's snake_case names, which a Python Girder
 * Worker understands, and a longshore worker reads those names (and longshore's camelCase ones).
 * `girderResultHooks` travels in the `girder_result_hooks` header, not in kwargs.
 */

type Mapping = readonly [camel: keyof DockerRunOptions, snake: string];

/** camelCase option ↔ docker-py / Girder Worker keyword, where the value needs no conversion. */
const SAME_VALUE: readonly Mapping[] = [
  ['pullImage', 'pull_image'],
  ['entrypoint', 'entrypoint'],
  ['containerArgs', 'container_args'],
  ['volumes', 'volumes'],
  ['removeContainer', 'remove_container'],
  ['environment', 'environment'],
  ['workingDir', 'working_dir'],
  ['user', 'user'],
  ['network', 'network'],
  ['memory', 'mem_limit'],
  ['shmSize', 'shm_size'],
  ['name', 'name'],
  ['labels', 'labels'],
  ['stopTimeout', 'stop_timeout'],
  ['streamConnectors', 'stream_connectors'],
  ['createOptions', 'create_options'],
];

const CAMEL_KEYS = new Set<string>([...SAME_VALUE.map(([camel]) => camel), 'cpus', 'gpus']);

/** The kwargs a longshore client sends for `dockerRun` (hooks excluded: they go in a header). */
export function toWireKwargs(options: DockerRunOptions): Record<string, unknown> {
  const kwargs: Record<string, unknown> = {};
  // Stated explicitly: Python's default (True) would pull even a local-only image.
  kwargs.pull_image = options.pullImage ?? 'ifNotPresent';
  for (const [camel, snake] of SAME_VALUE) {
    const value = options[camel];
    if (value !== undefined && camel !== 'pullImage') kwargs[snake] = value;
  }
  if (options.cpus !== undefined) kwargs.nano_cpus = Math.round(options.cpus * 1e9);
  if (options.gpus !== undefined) kwargs.device_requests = [gpuRequest(options.gpus)];
  return kwargs;
}

function gpuRequest(gpus: 'all' | number | string[]): Record<string, unknown> {
  const base = { driver: '', capabilities: [['gpu']], options: {} };
  if (gpus === 'all') return { ...base, count: -1, device_ids: null };
  if (typeof gpus === 'number') return { ...base, count: gpus, device_ids: null };
  return { ...base, count: 0, device_ids: gpus };
}

const deviceRequest = z.looseObject({
  driver: z.string().nullish(),
  count: z.number().int().nullish(),
  device_ids: z.array(z.string()).nullish(),
  capabilities: z.array(z.array(z.string())).nullish(),
  options: z.record(z.string(), z.string()).nullish(),
});

const pullImage = z
  .union([z.boolean(), z.enum(['ifNotPresent', 'if_not_present', 'missing'])])
  .transform((v) => (typeof v === 'boolean' ? v : ('ifNotPresent' as const)));

/** docker-py keywords with a longshore equivalent that is not a plain rename. */
const convertedSchema = z.strictObject({
  pull_image: pullImage.nullish(),
  nano_cpus: z.number().int().positive().nullish(),
  cpus: z.number().positive().nullish(),
  device_requests: z.array(deviceRequest).nullish(),
  network_mode: z.string().min(1).nullish(),
  runtime: z.string().min(1).nullish(),
  privileged: z.boolean().nullish(),
  cap_add: z.array(z.string()).nullish(),
  ipc_mode: z.string().min(1).nullish(),
  gpus: z.unknown().optional(),
});

/**
 * A worker's view of dockerRun's kwargs from any client: snake_case (Python Girder Worker,
 * longshore clients) or camelCase. The result goes to `parseDockerRunOptions` for validation; a
 * keyword longshore does not know fails the task with a ValidationError naming it. Python's
 * default `pull_image=True` applies when the message does not say.
 */
export function fromWireKwargs(kwargs: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  const snakeToCamel = new Map(SAME_VALUE.map(([camel, snake]) => [snake, camel] as const));
  for (const [key, value] of Object.entries(kwargs)) {
    if (value === null || value === undefined) continue; // Python's None: the default
    const camel = snakeToCamel.get(key);
    if (camel && key !== 'pull_image') options[camel] = value;
    else if (CAMEL_KEYS.has(key) && key !== 'cpus' && key !== 'gpus') options[key] = value;
    else rest[key] = value;
  }
  const extra = parseOrThrow(convertedSchema, rest, 'kwargs');
  options.pullImage = extra.pull_image ?? kwargs.pullImage ?? true;
  if (extra.network_mode && options.network === undefined) options.network = extra.network_mode;
  if (extra.nano_cpus) options.cpus = extra.nano_cpus / 1e9;
  if (extra.cpus) options.cpus = extra.cpus;
  if (extra.gpus !== undefined) options.gpus = extra.gpus;
  const hostConfig: Record<string, unknown> = {};
  if (extra.device_requests) hostConfig.DeviceRequests = extra.device_requests.map(toEngineDeviceRequest);
  if (extra.runtime) hostConfig.Runtime = extra.runtime;
  if (extra.privileged !== undefined && extra.privileged !== null) hostConfig.Privileged = extra.privileged;
  if (extra.cap_add) hostConfig.CapAdd = extra.cap_add;
  if (extra.ipc_mode) hostConfig.IpcMode = extra.ipc_mode;
  if (Object.keys(hostConfig).length > 0) {
    const create = (options.createOptions ?? {}) as Record<string, unknown>;
    if (typeof create !== 'object')
      throw new ValidationError('kwargs.create_options', create, 'expected a dict');
    options.createOptions = {
      ...create,
      HostConfig: { ...((create.HostConfig as Record<string, unknown> | undefined) ?? {}), ...hostConfig },
    };
  }
  return options;
}

function toEngineDeviceRequest(r: z.output<typeof deviceRequest>): Record<string, unknown> {
  return {
    Driver: r.driver ?? '',
    Count: r.count ?? 0,
    DeviceIDs: r.device_ids ?? null,
    Capabilities: r.capabilities ?? null,
    Options: r.options ?? {},
  };
}
