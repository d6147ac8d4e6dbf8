import { toBytes } from '../container-spec.js';
import type { WorkerPolicy } from './policy-schema.js';
import type { Violation } from './violation.js';

/**
 * Resource limits a message cannot raise: asking more than the policy's limit (or no limit at
 * all, which the engine reads from 0 or -1) is refused; asking nothing gets the limit.
 */
type Limits = WorkerPolicy['limits'];

export function limitViolations(hostConfig: Record<string, unknown>, limits: Limits): Violation[] {
  const found: Violation[] = [];
  const at = (key: string, value: unknown, rule: string) =>
    found.push({ field: `createOptions.HostConfig.${key}`, value, rule });
  if (limits.memory !== undefined && hostConfig.Memory !== undefined) {
    const limit = toBytes(limits.memory);
    const asked = Number(hostConfig.Memory);
    if (!(asked > 0 && asked <= limit))
      at('Memory', hostConfig.Memory, `memory is limited to ${limit} bytes (limits.memory)`);
  }
  if (limits.cpus !== undefined) {
    if (hostConfig.NanoCpus !== undefined) {
      const asked = Number(hostConfig.NanoCpus) / 1e9;
      if (!(asked > 0 && asked <= limits.cpus))
        at('NanoCpus', hostConfig.NanoCpus, `CPUs are limited to ${limits.cpus} (limits.cpus)`);
    }
    if (hostConfig.CpuQuota !== undefined) {
      const quota = Number(hostConfig.CpuQuota);
      const period = Number(hostConfig.CpuPeriod ?? 100_000) || 100_000;
      if (!(quota > 0 && quota / period <= limits.cpus)) {
        at('CpuQuota', hostConfig.CpuQuota, `CPUs are limited to ${limits.cpus} (limits.cpus)`);
      }
    }
  }
  if (limits.pids !== undefined && hostConfig.PidsLimit !== undefined && hostConfig.PidsLimit !== null) {
    const asked = Number(hostConfig.PidsLimit);
    if (!(asked > 0 && asked <= limits.pids))
      at('PidsLimit', hostConfig.PidsLimit, `processes are limited to ${limits.pids} (limits.pids)`);
  }
  return found;
}

/** The limits as defaults of a create body's HostConfig, where it sets none. */
export function applyLimitDefaults(body: Record<string, unknown>, limits: Limits): void {
  const hostConfig = (body.HostConfig ??= {}) as Record<string, unknown>;
  if (limits.memory !== undefined && hostConfig.Memory === undefined)
    hostConfig.Memory = toBytes(limits.memory);
  if (limits.cpus !== undefined && hostConfig.NanoCpus === undefined && hostConfig.CpuQuota === undefined) {
    hostConfig.NanoCpus = Math.round(limits.cpus * 1e9);
  }
  if (limits.pids !== undefined && (hostConfig.PidsLimit === undefined || hostConfig.PidsLimit === null)) {
    hostConfig.PidsLimit = limits.pids;
  }
}
