import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { WorkerPolicy } from './policy-schema.js';

/**
 * Where a message may touch the host. Paths are compared as the kernel will see them: made
 * absolute and normalised (`..` gone), then with every symlink of their longest existing prefix
 * resolved, so a link inside an allowed directory cannot lead out of it.
 */

/** How a message uses a host path. `create`: the worker makes a directory or FIFO there. */
export type HostAccess = 'ro' | 'rw' | 'create';

export interface PathContext {
  /** The worker's temporary root: pipes and temporary directories may always go below it. */
  tmpRoot: string;
  /** Docker sockets of this host (the configured one, the standard one), refused unless allowed. */
  dockerSockets: readonly string[];
}

/** `p` resolved: absolute, normalised, symlinks of its longest existing prefix followed. */
export async function resolveHostPath(p: string): Promise<string> {
  const absolute = path.resolve(p);
  const rest: string[] = [];
  let prefix = absolute;
  for (;;) {
    try {
      const real = await realpath(prefix);
      return rest.length === 0 ? real : path.join(real, ...rest.reverse());
    } catch {
      const parent = path.dirname(prefix);
      if (parent === prefix) return absolute;
      rest.push(path.basename(prefix));
      prefix = parent;
    }
  }
}

/** True when `child` is `parent` or below it (both resolved). */
export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Why `hostPath` may not be used with `access`, or undefined when it may. Pure over resolved
 * paths: every path in `policy` and `ctx` must be resolved already (see `resolvePathPolicy`).
 */
export function hostPathRefusal(
  resolved: string,
  access: HostAccess,
  policy: ResolvedPathPolicy,
): string | undefined {
  const isRoot = resolved === path.parse(resolved).root;
  if (isRoot && policy.hostRoots === null) return 'the host root may not be mounted';
  if (!policy.dockerSocket) {
    const socket = policy.dockerSockets.find((s) => isInside(s, resolved));
    if (socket !== undefined || path.basename(resolved) === 'docker.sock') {
      return `the Docker socket${socket ? ` (${socket})` : ''} may not be mounted or used`;
    }
  }
  const root = policy.hostRoots?.find((r) => isInside(resolved, r.path));
  if (access === 'create') {
    if (isInside(resolved, policy.tmpRoot)) return undefined;
    if (root?.mode === 'rw') return undefined;
    return `the worker creates directories and pipes only below its temporary root (${policy.tmpRoot}) or a read-write host root`;
  }
  if (policy.hostRoots !== null) {
    if (!root) return `host paths are allowed only below ${describeRoots(policy.hostRoots)}`;
    if (access === 'rw' && root.mode === 'ro') return `${root.path} is allowed read-only`;
    return undefined;
  }
  const refused = policy.refusedHostPaths.find((r) => isInside(resolved, r));
  if (refused === undefined) return undefined;
  if (policy.refusedHostPathExceptions.some((e) => isInside(resolved, e))) return undefined;
  if (isInside(resolved, policy.tmpRoot)) return undefined;
  return `${refused} is a system directory`;
}

export interface ResolvedPathPolicy {
  hostRoots: readonly { path: string; mode: 'ro' | 'rw' }[] | null;
  refusedHostPaths: readonly string[];
  refusedHostPathExceptions: readonly string[];
  dockerSocket: boolean;
  dockerSockets: readonly string[];
  tmpRoot: string;
}

/** The policy's paths resolved once per task (they may be symlinks themselves: /var/run, /lib). */
export async function resolvePathPolicy(policy: WorkerPolicy, ctx: PathContext): Promise<ResolvedPathPolicy> {
  const all = (paths: readonly string[]) => Promise.all(paths.map(resolveHostPath));
  // A refused path is refused under its own name and under the name its symlinks lead to.
  const refused = [...new Set([...policy.refusedHostPaths, ...(await all(policy.refusedHostPaths))])];
  return {
    hostRoots:
      policy.hostRoots === null
        ? null
        : await Promise.all(
            policy.hostRoots.map(async (r) => ({ path: await resolveHostPath(r.path), mode: r.mode })),
          ),
    refusedHostPaths: refused,
    refusedHostPathExceptions: await all(policy.refusedHostPathExceptions),
    dockerSocket: policy.allow.dockerSocket,
    dockerSockets: [...new Set([...ctx.dockerSockets, ...(await all(ctx.dockerSockets))])],
    tmpRoot: await resolveHostPath(ctx.tmpRoot),
  };
}

function describeRoots(roots: readonly { path: string; mode: string }[]): string {
  return roots.length === 0
    ? 'no host root (none is allowed)'
    : roots.map((r) => `${r.path} (${r.mode})`).join(', ');
}
