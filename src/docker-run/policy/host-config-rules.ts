import type { HostAccess } from './path-rules.js';
import type { HostNamespace, WorkerPolicy } from './policy-schema.js';
import type { Violation } from './violation.js';

/**
 * What a container's HostConfig may say. Every key either has a rule below (privileges,
 * namespaces, devices, mounts, limits) or is on the list of harmless ones; any other raw key is
 * refused unless the policy lists it in `allow.rawHostConfig`: the engine grows new ways to reach
 * the host, and an allow-list does not let them through unseen.
 */

/** Keys with no reach outside the container (limits within it, its own DNS, dropping privileges). */
export const HARMLESS_HOST_CONFIG_KEYS: readonly string[] = [
  'CapDrop',
  'ShmSize',
  'Init',
  'CpuShares',
  'CpusetCpus',
  'CpusetMems',
  'BlkioWeight',
  'ReadonlyRootfs',
  'Dns',
  'DnsOptions',
  'DnsSearch',
  'ExtraHosts',
  'GroupAdd',
  'Tmpfs',
  'AutoRemove',
  'ConsoleSize',
  'MemorySwap',
  'MemoryReservation',
  'MemorySwappiness',
];

/** Keys checked by a rule of their own (here, in limit-rules.ts or in path-rules.ts). */
const RULED_KEYS = new Set([
  'Privileged',
  'CapAdd',
  'Devices',
  'DeviceCgroupRules',
  'DeviceRequests',
  'NetworkMode',
  'PidMode',
  'IpcMode',
  'UsernsMode',
  'UTSMode',
  'CgroupnsMode',
  'SecurityOpt',
  'Runtime',
  'Binds',
  'Mounts',
  'Memory',
  'NanoCpus',
  'CpuQuota',
  'CpuPeriod',
  'PidsLimit',
]);

/** Top-level create-body keys a message may set raw: the container's own process and metadata. */
export const HARMLESS_CREATE_OPTIONS_KEYS: readonly string[] = [
  'HostConfig',
  'Hostname',
  'Domainname',
  'User',
  'Env',
  'Cmd',
  'Entrypoint',
  'WorkingDir',
  'Labels',
  'StopSignal',
  'StopTimeout',
  'Healthcheck',
  'Shell',
  'ArgsEscaped',
  'NetworkDisabled',
  'MacAddress',
  'ExposedPorts',
  'Tty',
  'OpenStdin',
  'StdinOnce',
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
];

const NAMESPACE_KEYS: readonly [string, HostNamespace][] = [
  ['NetworkMode', 'network'],
  ['PidMode', 'pid'],
  ['IpcMode', 'ipc'],
  ['UsernsMode', 'userns'],
  ['UTSMode', 'uts'],
  ['CgroupnsMode', 'cgroup'],
];

type Allow = WorkerPolicy['allow'];

/** Raw top-level keys (`Image` would bypass the image rule, `Volumes` and `NetworkingConfig` reach the host). */
export function createOptionsViolations(createOptions: Record<string, unknown>, allow: Allow): Violation[] {
  return Object.entries(createOptions)
    .filter(([key]) => !HARMLESS_CREATE_OPTIONS_KEYS.includes(key) && !allow.rawCreateOptions.includes(key))
    .map(([key, value]) => ({
      field: `createOptions.${key}`,
      value,
      rule: `raw create option ${key} is not allowed (allow.rawCreateOptions)`,
    }));
}

/** Privileges, namespaces, devices, runtimes and unknown raw keys of a HostConfig. */
export function hostConfigViolations(hostConfig: Record<string, unknown>, allow: Allow): Violation[] {
  const found: Violation[] = [];
  const at = (key: string, value: unknown, rule: string, suffix = '') =>
    found.push({ field: `createOptions.HostConfig.${key}${suffix}`, value, rule });
  const given = (key: string) => hostConfig[key] !== undefined && hostConfig[key] !== null;

  if (hostConfig.Privileged === true && !allow.privileged)
    at('Privileged', true, 'privileged is not allowed');
  if (given('CapAdd')) {
    const caps = Array.isArray(hostConfig.CapAdd) ? (hostConfig.CapAdd as unknown[]) : [hostConfig.CapAdd];
    const allowed = new Set(allow.capAdd.map(capabilityName));
    caps.forEach((cap, i) => {
      if (allowed.has('ALL')) return;
      if (typeof cap !== 'string' || !allowed.has(capabilityName(cap))) {
        at('CapAdd', cap, `adding capability ${String(cap)} is not allowed (allow.capAdd)`, `[${i}]`);
      }
    });
  }
  for (const key of ['Devices', 'DeviceCgroupRules']) {
    if (given(key) && !allow.devices && !isEmptyList(hostConfig[key])) {
      at(key, hostConfig[key], 'host devices are not allowed (allow.devices)');
    }
  }
  if (given('DeviceRequests') && !allow.devices) {
    const requests = Array.isArray(hostConfig.DeviceRequests)
      ? (hostConfig.DeviceRequests as unknown[])
      : [null];
    requests.forEach((request, i) => {
      if (!isGpuRequest(request)) {
        at('DeviceRequests', request, 'only GPU device requests are allowed (allow.devices)', `[${i}]`);
      }
    });
  }
  for (const [key, namespace] of NAMESPACE_KEYS) {
    const mode = hostConfig[key];
    if (typeof mode !== 'string' && given(key)) at(key, mode, `${key} must be a string`);
    if (typeof mode === 'string' && sharesNamespace(mode) && !allow.hostNamespaces.includes(namespace)) {
      at(
        key,
        mode,
        `sharing the ${namespace} namespace of the host or another container is not allowed (allow.hostNamespaces)`,
      );
    }
  }
  if (given('SecurityOpt') && !allow.securityOpt && !isEmptyList(hostConfig.SecurityOpt)) {
    at('SecurityOpt', hostConfig.SecurityOpt, 'security options are not allowed (allow.securityOpt)');
  }
  if (given('Runtime') && hostConfig.Runtime !== '' && !allow.runtimes.includes(String(hostConfig.Runtime))) {
    at('Runtime', hostConfig.Runtime, 'choosing the container runtime is not allowed (allow.runtimes)');
  }
  for (const [key, value] of Object.entries(hostConfig)) {
    if (RULED_KEYS.has(key) || HARMLESS_HOST_CONFIG_KEYS.includes(key) || allow.rawHostConfig.includes(key)) {
      continue;
    }
    at(key, value, `raw HostConfig key ${key} is not allowed (allow.rawHostConfig)`);
  }
  return found;
}

/** A host path a HostConfig mounts: `Binds` strings and `Mounts` of type bind. */
export interface HostConfigMount {
  field: string;
  hostPath: string;
  access: HostAccess;
}

/** The host paths of Binds and Mounts, and violations for what is not a host path (named volumes). */
export function hostConfigMounts(hostConfig: Record<string, unknown>): {
  mounts: HostConfigMount[];
  violations: Violation[];
} {
  const mounts: HostConfigMount[] = [];
  const violations: Violation[] = [];
  const binds = hostConfig.Binds ?? [];
  (Array.isArray(binds) ? (binds as unknown[]) : [binds]).forEach((bind, i) => {
    const field = `createOptions.HostConfig.Binds[${i}]`;
    const [source, , options = ''] = typeof bind === 'string' ? bind.split(':') : [];
    if (typeof bind !== 'string' || !source?.startsWith('/')) {
      violations.push({
        field,
        value: bind,
        rule: 'only "host:container[:mode]" binds of absolute host paths are allowed',
      });
      return;
    }
    mounts.push({ field, hostPath: source, access: options.split(',').includes('ro') ? 'ro' : 'rw' });
  });
  const list = hostConfig.Mounts ?? [];
  (Array.isArray(list) ? (list as unknown[]) : [list]).forEach((mount, i) => {
    const field = `createOptions.HostConfig.Mounts[${i}]`;
    const m = (typeof mount === 'object' && mount !== null ? mount : {}) as Record<string, unknown>;
    if (m.Type === 'tmpfs') return;
    if (m.Type !== 'bind' || typeof m.Source !== 'string') {
      violations.push({
        field,
        value: mount,
        rule: 'only bind mounts of host paths and tmpfs mounts are allowed',
      });
      return;
    }
    mounts.push({ field: `${field}.Source`, hostPath: m.Source, access: m.ReadOnly === true ? 'ro' : 'rw' });
  });
  return { mounts, violations };
}

function capabilityName(cap: string): string {
  return cap.toUpperCase().replace(/^CAP_/, '');
}

function sharesNamespace(mode: string): boolean {
  return mode === 'host' || mode.startsWith('container:');
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

/** Girder Worker's and docker's `--gpus`: a request whose capabilities include `gpu`. */
function isGpuRequest(request: unknown): boolean {
  if (typeof request !== 'object' || request === null) return false;
  const { Capabilities, Driver } = request as { Capabilities?: unknown; Driver?: unknown };
  if (Driver !== undefined && Driver !== null && Driver !== '' && Driver !== 'nvidia') return false;
  return (
    Array.isArray(Capabilities) &&
    Capabilities.length > 0 &&
    Capabilities.every((set) => Array.isArray(set) && set.includes('gpu'))
  );
}
