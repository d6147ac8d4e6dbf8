import { z } from 'zod';
import { parseOrThrow } from '../../core/parse.js';

/**
 * A worker policy: what a docker_run message may ask of the host that runs it. Every field has
 * the secure default, so `{}` is the policy of a worker without a policy file; a site that needs
 * more says so field by field. The resolved form (defaults filled in) is valid input again, which
 * is what `longshore worker --print-policy` prints.
 */

export const PULL_POLICIES = ['always', 'never', 'ifNotPresent'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export const HOST_NAMESPACES = ['network', 'pid', 'ipc', 'userns', 'uts', 'cgroup'] as const;
export type HostNamespace = (typeof HOST_NAMESPACES)[number];

/** Host directories no message may mount by default: the system's own, and the root itself. */
export const SYSTEM_DIRECTORIES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/var',
];

const absolutePath = z
  .string()
  .regex(/^\//, 'expected an absolute path')
  .refine((p) => !p.includes('\0'), 'expected a path without NUL');

const byteSize = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+(\.\d+)?\s*[bkmgt]?i?b?$/i, 'expected a size such as 512m or 2g'),
]);

const hostRoot = z.strictObject({
  path: absolutePath,
  /** ro: only read-only mounts and reads below it; rw: anything below it. */
  mode: z.enum(['ro', 'rw']),
});

const allowSchema = z.strictObject({
  privileged: z.boolean().default(false),
  /** Capabilities a message may add (`CAP_` prefix optional); `ALL` allows any. */
  capAdd: z.array(z.string().min(1)).default([]),
  /** Host devices (`devices`, `HostConfig.Devices`, `DeviceCgroupRules`); GPU device requests need no allowance. */
  devices: z.boolean().default(false),
  /** Namespaces a message may share with the host or another container (`host`, `container:*`). */
  hostNamespaces: z.array(z.enum(HOST_NAMESPACES)).default([]),
  securityOpt: z.boolean().default(false),
  /** Container runtimes a message may choose (`runtime`, `HostConfig.Runtime`). */
  runtimes: z.array(z.string().min(1)).default([]),
  /** Mounting a Docker socket (which is root on the host) anywhere. */
  dockerSocket: z.boolean().default(false),
  /** Raw `createOptions.HostConfig` keys allowed beyond the built-in harmless ones. */
  rawHostConfig: z.array(z.string().min(1)).default([]),
  /** Raw top-level `createOptions` keys allowed beyond the built-in harmless ones. */
  rawCreateOptions: z.array(z.string().min(1)).default([]),
});

const limitsSchema = z.strictObject({
  /** Container memory (bytes, or 512m, 2g); also the default when a message gives none. */
  memory: byteSize.optional(),
  cpus: z.number().positive().optional(),
  pids: z.number().int().positive().optional(),
  /** Seconds a container may run; the worker stops it then. */
  runSeconds: z.number().positive().optional(),
  /** Bytes of stdout + stderr accepted before the worker stops the container. */
  outputBytes: z.number().int().positive().optional(),
});

export const workerPolicySchema = z.strictObject({
  /** Image patterns (registry/name, `*` matches anything); default any image. */
  images: z.array(z.string().min(1)).min(1, 'expected at least one image pattern').default(['*']),
  pullPolicies: z.array(z.enum(PULL_POLICIES)).default([...PULL_POLICIES]),
  /**
   * The host directories messages may use (bind mounts, host files, pipe and temporary
   * directories). null: anywhere but `refusedHostPaths`, the root and Docker sockets.
   */
  hostRoots: z.array(hostRoot).nullable().default(null),
  /** Refused when `hostRoots` is null (and a path below one is not listed in `hostRoots`). */
  refusedHostPaths: z.array(absolutePath).default(SYSTEM_DIRECTORIES),
  /** Allowed although below a refused path. */
  refusedHostPathExceptions: z.array(absolutePath).default(['/var/tmp']),
  allow: allowSchema.default(allowSchema.parse({})),
  /** URL prefixes a message may send data to, besides the task's own Girder API. */
  urls: z.array(z.url({ protocol: /^https?$/ })).default([]),
  limits: limitsSchema.default({}),
});

export type WorkerPolicyInput = z.input<typeof workerPolicySchema>;
export type WorkerPolicy = z.output<typeof workerPolicySchema>;

export function parseWorkerPolicy(input: unknown, root = 'policy'): WorkerPolicy {
  return parseOrThrow(workerPolicySchema, input ?? {}, root);
}

/** What a worker applies to messages from the broker when no policy file is given. */
export function secureDefaultPolicy(): WorkerPolicy {
  return parseWorkerPolicy({});
}
