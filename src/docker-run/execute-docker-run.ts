import { stat } from 'node:fs/promises';
import {
  CleanupError,
  ContainerExitError,
  ResultHookError,
  StreamError,
  TaskCancelledError,
  ValidationError,
  messageOf,
} from '../core/errors.js';
import { girderAccessFromConfig, type GirderAccess } from '../girder/girder-access.js';
import { LocalTaskContext } from '../execution/local-task-context.js';
import type { Reporter } from '../execution/reporter.js';
import type { ResultHook, TaskOutcome } from '../transforms/transform.js';
import { resolveArgs, toContainerArgs } from '../transforms/index.js';
import { buildCreateBody } from './container-spec.js';
import { removeTreeWithContainer } from '../docker/container-remove-tree.js';
import { defaultEngine, reapOnce } from '../docker/default-engine.js';
import type { ParsedDockerRunOptions } from './docker-run-options.js';
import type { DockerEngine } from '../docker/engine.js';
import { ensureImage } from '../docker/ensure-image.js';
import { LABEL_KEEP, LABEL_OWNER, LABEL_TASK_ID, ownerLabel } from '../docker/ownership.js';
import { runContainer } from '../docker/run-container.js';
import { loadRunDefaults, type RunDefaults } from './run-defaults.js';
import { getConfiguration } from '../config/configuration.js';
import { checkDockerRun } from './policy/check-docker-run.js';
import { applyLimitDefaults } from './policy/limit-rules.js';
import { configuredPolicy } from './policy/load-policy.js';
import type { WorkerPolicy } from './policy/policy-schema.js';
import { RunLimits } from './policy/run-limits.js';

export interface DockerRunResult {
  exitCode: number;
  /** One value per result hook, in order. */
  hookResults: unknown[];
}

/** What the runner of a task (in-process or a worker) hands to it. */
export interface TaskExecution {
  taskId: string;
  signal: AbortSignal;
  reporter: Reporter;
}

export interface DockerRunServices {
  engine?: DockerEngine;
  /** How the task reaches Girder; by default `configure({ girder })` or the environment. */
  girder?: GirderAccess;
  defaults?: RunDefaults;
  tempRoot?: string;
  /**
   * The worker policy the task is checked against before anything is created; null checks
   * nothing. Default: the configured one (`configure({ policy })`, LONGSHORE_WORKER_POLICY), if any.
   */
  policy?: WorkerPolicy | null;
  /** The task's own Girder API URL, which the policy lets the task send data to. */
  girderApiUrl?: string | undefined;
  /** How option paths are named in a PolicyError (a worker names the message's fields). */
  fieldName?: (optionPath: string) => string;
}

const DEFAULT_STOP_TIMEOUT_S = 10;

/**
 * The `dockerRun` task: resolve transforms, make sure of the image, run the container with its
 * streams, run the result hooks, and clean up everything, always, in reverse order.
 */
export async function executeDockerRun(
  image: string,
  taskOptions: ParsedDockerRunOptions,
  exec: TaskExecution,
  services: DockerRunServices = {},
): Promise<DockerRunResult> {
  const policy = services.policy === undefined ? configuredPolicy() : (services.policy ?? undefined);
  // First, before anything exists on the host: what the task asks is checked as the caller sent
  // it (the site defaults below are the site's own).
  if (policy) await checkPolicy(policy, image, taskOptions, services);
  const engine = services.engine ?? defaultEngine();
  reapOnce(engine);
  const defaults = services.defaults ?? loadRunDefaults();
  const options = mergeOptions(defaults.options, taskOptions);
  const hooks: ResultHook[] = options.girderResultHooks ?? [];
  const limits = policy ? new RunLimits(policy.limits, exec.signal, exec.reporter) : undefined;
  const ctx = new LocalTaskContext({
    taskId: exec.taskId,
    signal: limits?.signal ?? exec.signal,
    reporter: limits?.reporter ?? exec.reporter,
    ...(services.tempRoot ? { tempRoot: services.tempRoot } : {}),
    forceRemove: (path) => removeTreeWithContainer(engine, image, path),
    girder: services.girder ?? girderAccessFromConfig(),
  });
  let outcome: TaskOutcome = { exitCode: null };
  let failed = false;
  try {
    await mountVolumes(ctx, options, defaults);
    const args = toContainerArgs((await resolveArgs(options.containerArgs ?? [], ctx)) as unknown[]);
    for (const connector of options.streamConnectors ?? []) await connector.resolve(ctx);
    for (const hook of hooks) await hook.prepare?.(ctx);
    exec.signal.throwIfAborted();
    exec.reporter.phase('running');

    const imageInfo = await ensureImage(
      engine,
      image,
      options.pullImage ?? 'ifNotPresent',
      exec.reporter,
      exec.signal,
    );
    const body = buildCreateBody({
      image,
      options,
      args,
      mounts: ctx.mountList(),
      labels: {
        [LABEL_OWNER]: ownerLabel(),
        [LABEL_TASK_ID]: exec.taskId,
        ...(options.removeContainer === false ? { [LABEL_KEEP]: 'true' } : {}),
      },
      imageLabels: imageInfo.labels,
    });
    if (policy) applyLimitDefaults(body, policy.limits);
    limits?.containerStarting();
    const exited = await runContainer(engine, body, ctx, {
      removeContainer: options.removeContainer ?? true,
      stopTimeout: options.stopTimeout ?? DEFAULT_STOP_TIMEOUT_S,
      connections: ctx.connectionList(),
    });
    outcome = { exitCode: exited.exitCode };
    // A failed stream first: it is often why the container failed (a refused upload closes the
    // pipe, and the container dies of SIGPIPE), and an exit code alone would hide that.
    const [streamError] = exited.streamErrors;
    if (streamError)
      throw streamError instanceof StreamError
        ? streamError
        : new StreamError(messageOf(streamError), { cause: streamError });
    if (exited.exitCode !== 0) throw new ContainerExitError(exited.exitCode, exited.stderrTail);

    const hookResults: unknown[] = [];
    if (hooks.length > 0) exec.reporter.phase('pushing-output');
    for (const [index, hook] of hooks.entries()) {
      try {
        hookResults.push(await hook.run(ctx, outcome));
      } catch (error) {
        throw new ResultHookError(index, messageOf(error), { cause: error });
      }
    }
    return { exitCode: exited.exitCode, hookResults };
  } catch (caught) {
    failed = true;
    const error =
      limits?.reason ??
      (exec.signal.aborted && !(caught instanceof TaskCancelledError)
        ? new TaskCancelledError(undefined, { cause: exec.signal.reason })
        : caught);
    if (!(error instanceof ResultHookError)) await runFailureHooks(hooks, ctx, { ...outcome, error });
    throw error;
  } finally {
    limits?.dispose();
    const cleanupErrors = await ctx.dispose();
    if (cleanupErrors.length > 0) {
      // Never replaces the task's own error; after a success it is the error.
      // eslint-disable-next-line no-unsafe-finally -- only reached when the try block succeeded
      if (!failed) throw new CleanupError(cleanupErrors);
      for (const e of cleanupErrors) exec.reporter.warning(`Cleanup: ${e.message}`);
    }
  }
}

async function checkPolicy(
  policy: WorkerPolicy,
  image: string,
  options: ParsedDockerRunOptions,
  services: DockerRunServices,
): Promise<void> {
  const config = getConfiguration();
  const girderApiUrls = [services.girderApiUrl, config.girder?.apiUrl].filter(
    (url): url is string => typeof url === 'string' && url !== '',
  );
  await checkDockerRun(policy, image, options, {
    tmpRoot: services.tempRoot ?? config.tmpRoot,
    // Wherever the engine listens, and the standard place, whichever this host uses.
    dockerSockets: [
      config.dockerSocket,
      config.dockerHostSocket,
      '/var/run/docker.sock',
      '/run/docker.sock',
    ].filter((s): s is string => s !== undefined),
    girderApiUrls,
    ...(services.fieldName ? { fieldName: services.fieldName } : {}),
  });
}

async function runFailureHooks(
  hooks: ResultHook[],
  ctx: LocalTaskContext,
  outcome: TaskOutcome,
): Promise<void> {
  for (const [index, hook] of hooks.entries()) {
    if (!hook.runOnFailure) continue;
    try {
      await hook.run(ctx, outcome);
    } catch (error) {
      ctx.reporter.warning(`Result hook #${index} failed after the task failed: ${messageOf(error)}`);
    }
  }
}

async function mountVolumes(
  ctx: LocalTaskContext,
  options: ParsedDockerRunOptions,
  defaults: RunDefaults,
): Promise<void> {
  // Girder Worker always mounts the task's temporary volume; containers may rely on it.
  await ctx.defaultVolume();
  const binds = [...defaults.binds];
  if (Array.isArray(options.volumes)) {
    for (const volume of options.volumes) await volume.mount(ctx);
  } else {
    for (const [hostPath, target] of Object.entries(options.volumes ?? {})) {
      binds.push({ hostPath, containerPath: target.bind, mode: target.mode ?? 'rw' });
    }
  }
  for (const bind of binds) {
    await assertHostPathExists(bind.hostPath);
    ctx.mount(bind);
  }
}

async function assertHostPathExists(hostPath: string): Promise<void> {
  try {
    await stat(hostPath);
  } catch {
    throw new ValidationError('volumes', hostPath, 'host path does not exist');
  }
}

/** Task options win over the site defaults; lists of environment variables and labels add up. */
function mergeOptions(site: ParsedDockerRunOptions, task: ParsedDockerRunOptions): ParsedDockerRunOptions {
  const merged: ParsedDockerRunOptions = { ...site, ...task };
  if (site.environment && task.environment) {
    merged.environment = [...toList(site.environment), ...toList(task.environment)];
  }
  if (site.labels && task.labels) merged.labels = { ...site.labels, ...task.labels };
  return merged;
}

function toList(env: Record<string, string> | string[]): string[] {
  return Array.isArray(env) ? env : Object.entries(env).map(([k, v]) => `${k}=${v}`);
}
