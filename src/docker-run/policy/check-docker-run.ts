import { PolicyError } from '../../core/errors.js';
import { buildCreateBody } from '../container-spec.js';
import type { ParsedDockerRunOptions } from '../docker-run-options.js';
import { collectReach, type Reach } from './collect-transforms.js';
import { createOptionsViolations, hostConfigMounts, hostConfigViolations } from './host-config-rules.js';
import { imageAllowed } from './image-rules.js';
import { limitViolations } from './limit-rules.js';
import { hostPathRefusal, resolveHostPath, resolvePathPolicy, type PathContext } from './path-rules.js';
import type { PullPolicy, WorkerPolicy } from './policy-schema.js';
import { shownUrl, urlAllowed } from './url-rules.js';
import type { Violation } from './violation.js';

export interface PolicyCheckContext extends PathContext {
  /** The task's own Girder API (the message's girder_api_url, the worker's configured Girder). */
  girderApiUrls: readonly string[];
  /** How an option path is named to the caller (`kwargs.cap_add` for a message); default `options.<path>`. */
  fieldName?: (optionPath: string) => string;
}

/**
 * Checks a decoded docker_run against the policy, before anything exists on the host (no
 * container, temporary directory or FIFO): the image, the pull policy, raw create options, every
 * HostConfig field (named options and raw ones alike, as the engine would receive them), the
 * limits, every host path and every URL. The first violation throws a PolicyError naming the
 * field as the caller wrote it.
 */
export async function checkDockerRun(
  policy: WorkerPolicy,
  image: string,
  options: ParsedDockerRunOptions,
  ctx: PolicyCheckContext,
): Promise<void> {
  const name = ctx.fieldName ?? ((p: string) => `options.${p}`);
  const refuse = (v: Violation): never => {
    // `createOptions.HostConfig.CapAdd` + `[0]`: the caller's name is looked up for the field itself.
    const [, base = v.field, rest = ''] = /^(createOptions\.HostConfig\.[A-Za-z]+)(.*)$/.exec(v.field) ?? [];
    const named = namedSource(base, options);
    throw named
      ? new PolicyError(name(named) + rest, options[named], v.rule)
      : new PolicyError(name(base) + rest, v.value, v.rule);
  };
  const first = (violations: Violation[]) => {
    if (violations[0]) refuse(violations[0]);
  };

  if (!imageAllowed(image, policy.images)) {
    refuse({ field: 'image', value: image, rule: `images must match ${policy.images.join(', ')}` });
  }
  const pull = pullPolicyOf(options.pullImage);
  if (!policy.pullPolicies.includes(pull)) {
    refuse({
      field: 'pullImage',
      value: options.pullImage ?? pull,
      rule: `pull policy ${pull} is not allowed (pullPolicies: ${policy.pullPolicies.join(', ')})`,
    });
  }
  first(createOptionsViolations(options.createOptions ?? {}, policy.allow));
  // The HostConfig the engine would get from these options (mounts of transforms come later).
  const body = buildCreateBody({ image, options, args: [], mounts: [], labels: {}, imageLabels: {} });
  const hostConfig = body.HostConfig as Record<string, unknown>;
  first(hostConfigViolations(hostConfig, policy.allow));
  first(limitViolations(hostConfig, policy.limits));
  const { mounts, violations } = hostConfigMounts(hostConfig);
  first(violations);

  const reach: Reach[] = [
    ...mounts.map((m): Reach => ({ kind: 'path', ...m })),
    ...volumeDictReach(options.volumes),
    ...collectReach([
      ['volumes', Array.isArray(options.volumes) ? options.volumes : []],
      ['containerArgs', options.containerArgs ?? []],
      ['streamConnectors', options.streamConnectors ?? []],
      ['girderResultHooks', options.girderResultHooks ?? []],
    ]),
  ];
  const paths = await resolvePathPolicy(policy, ctx);
  const prefixes = [...policy.urls, ...ctx.girderApiUrls];
  for (const item of reach) {
    if (item.kind === 'url') {
      if (!urlAllowed(item.url, prefixes)) {
        refuse({
          field: item.field,
          value: shownUrl(item.url),
          rule: `outbound URLs must be under ${prefixes.length > 0 ? prefixes.map(shownUrl).join(', ') : "the task's Girder API (none is known)"} (urls)`,
        });
      }
      continue;
    }
    const refusal = hostPathRefusal(await resolveHostPath(item.hostPath), item.access, paths);
    if (refusal !== undefined) refuse({ field: item.field, value: item.hostPath, rule: refusal });
  }
}

function pullPolicyOf(pullImage: ParsedDockerRunOptions['pullImage']): PullPolicy {
  if (pullImage === true) return 'always';
  if (pullImage === false) return 'never';
  return 'ifNotPresent';
}

function volumeDictReach(volumes: ParsedDockerRunOptions['volumes']): Reach[] {
  if (volumes === undefined || Array.isArray(volumes)) return [];
  return Object.entries(volumes).map(([hostPath, target]) => ({
    kind: 'path',
    field: `volumes[${JSON.stringify(hostPath)}]`,
    hostPath,
    access: target.mode ?? 'rw',
  }));
}

/**
 * The named option a HostConfig field came from, when longshore made it from one (network,
 * memory, cpus, gpus) rather than the caller giving it raw: a refusal names what the caller wrote.
 */
function namedSource(
  field: string,
  options: ParsedDockerRunOptions,
): keyof ParsedDockerRunOptions | undefined {
  const key = /^createOptions\.HostConfig\.([A-Za-z]+)/.exec(field)?.[1];
  if (key === undefined) return undefined;
  const raw = (options.createOptions?.HostConfig as Record<string, unknown> | undefined)?.[key];
  const named = NAMED_SOURCES[key];
  return raw === undefined && named !== undefined && options[named] !== undefined ? named : undefined;
}

const NAMED_SOURCES: Record<string, keyof ParsedDockerRunOptions> = {
  NetworkMode: 'network',
  Memory: 'memory',
  NanoCpus: 'cpus',
  DeviceRequests: 'gpus',
  ShmSize: 'shmSize',
};
