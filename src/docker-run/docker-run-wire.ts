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
  pid_mode: z.string().min(1).nullish(),
  userns_mode: z.string().min(1).nullish(),
  security_opt: z.array(z.string()).nullish(),
  devices: z.array(z.string()).nullish(),
  pids_limit: z.number().int().nullish(),
  gpus: z.unknown().optional(),
});

/** docker-py keywords that become one HostConfig field each, as docker-py sends them. */
const HOST_CONFIG_KEYWORDS = [
  ['runtime', 'Runtime'],
  ['privileged', 'Privileged'],
  ['cap_add', 'CapAdd'],
  ['ipc_mode', 'IpcMode'],
  ['pid_mode', 'PidMode'],
  ['userns_mode', 'UsernsMode'],
  ['security_opt', 'SecurityOpt'],
  ['pids_limit', 'PidsLimit'],
] as const;

/**
 * A worker's view of dockerRun's kwargs from any client: snake_case (Python Girder Worker,
 * longshore clients) or camelCase. The result goes to `parseDockerRunOptions` for validation; a
 * keyword longshore does not know fails the task with a ValidationError naming it. Python's
 * default `pull_image=True` applies when the message does not say.
 */
export function fromWireKwargs(
  kwargs: Record<string, unknown>,
  origins?: Map<string, string>,
): Record<string, unknown> {
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
  if (extra.network_mode && options.network === undefined) {
    options.network = extra.network_mode;
    origins?.set('network', 'kwargs.network_mode');
  }
  if (extra.nano_cpus) {
    options.cpus = extra.nano_cpus / 1e9;
    origins?.set('cpus', 'kwargs.nano_cpus');
  }
  if (extra.cpus) options.cpus = extra.cpus;
  if (extra.gpus !== undefined) options.gpus = extra.gpus;
  // Where each HostConfig field came from, so that a refusal names the keyword the caller wrote.
  const hostConfig: Record<string, unknown> = {};
  const set = (key: string, value: unknown, keyword: string) => {
    hostConfig[key] = value;
    origins?.set(`createOptions.HostConfig.${key}`, `kwargs.${keyword}`);
  };
  if (extra.device_requests) {
    set('DeviceRequests', extra.device_requests.map(toEngineDeviceRequest), 'device_requests');
  }
  if (extra.devices) set('Devices', extra.devices.map(toEngineDevice), 'devices');
  for (const [keyword, key] of HOST_CONFIG_KEYWORDS) {
    const value = extra[keyword];
    if (value !== undefined && value !== null && value !== '') set(key, value, keyword);
  }
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

/** docker-py's "host[:container[:permissions]]" device string, as the engine takes it. */
function toEngineDevice(spec: string): Record<string, unknown> {
  const [host = '', container = host, permissions = 'rwm'] = spec.split(':');
  return { PathOnHost: host, PathInContainer: container, CgroupPermissions: permissions };
}

/**
 * Names an option path as a message from the wire gave it: the keyword it came from
 * (`kwargs.privileged`), else docker-py's name of the option (`kwargs.container_args[1]`), hooks
 * under their header.
 */
export function wireFieldName(origins: ReadonlyMap<string, string>): (optionPath: string) => string {
  const snakeOf = new Map<string, string>(SAME_VALUE.map(([camel, snake]) => [camel, snake]));
  return (optionPath) => {
    const origin = origins.get(optionPath);
    if (origin) return origin;
    const head = /^[A-Za-z]+/.exec(optionPath)?.[0] ?? optionPath;
    const rest = optionPath.slice(head.length);
    if (head === 'girderResultHooks') return `headers.girder_result_hooks${rest}`;
    if (head === 'image') return `args[0]${rest}`;
    return `kwargs.${snakeOf.get(head) ?? head}${rest}`;
  };
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
