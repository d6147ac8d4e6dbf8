// Small utilities for tests that check what longshore did to the real Docker engine.
import { hostname } from 'node:os';
import Docker from 'dockerode';
import { LABEL_OWNER, LABEL_TASK_ID, ownerLabel } from '../../src/docker/ownership.js';

export const docker = new Docker();

export const BUSYBOX = 'longshore/busybox:latest';
export const CONFORMANCE = 'longshore/conformance:latest';
export const GPU_LABELLED = 'longshore/gpu-labelled:latest';
export const REGISTRY = process.env.LONGSHORE_REGISTRY ?? '127.0.0.1:5000';
/** In the local registry, never tagged locally (tests that pull it untag it afterwards). */
export const REGISTRY_CONFORMANCE = `${REGISTRY}/longshore/conformance:latest`;

export { LABEL_OWNER, LABEL_TASK_ID };

/** The owner label value of containers this process creates starts with this. */
export function ownerPrefix(pid = process.pid): string {
  return `${hostname()}:${pid}:`;
}

export interface ContainerSummary {
  id: string;
  names: string[];
  state: string;
  labels: Record<string, string>;
}

/** Containers (running or not) carrying `label`, or `label=value` when a value is given. */
export async function listContainersByLabel(label: string, value?: string): Promise<ContainerSummary[]> {
  const filter = value === undefined ? label : `${label}=${value}`;
  const list = await docker.listContainers({ all: true, filters: { label: [filter] } });
  return list.map((c) => ({ id: c.Id, names: c.Names, state: c.State, labels: c.Labels ?? {} }));
}

/** Containers whose `longshore.owner` label says this process (or `pid`) created them. */
export async function listOwnedContainers(pid = process.pid): Promise<ContainerSummary[]> {
  const prefix = ownerPrefix(pid);
  return (await listContainersByLabel(LABEL_OWNER)).filter((c) =>
    (c.labels[LABEL_OWNER] ?? '').startsWith(prefix),
  );
}

/** The containers of one task (by its `longshore.task-id` label). */
export function listTaskContainers(taskId: string): Promise<ContainerSummary[]> {
  return listContainersByLabel(LABEL_TASK_ID, taskId);
}

/** Waits until the task's container is running; returns its id. */
export async function waitForRunningTaskContainer(taskId: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = (await listTaskContainers(taskId)).find((c) => c.state === 'running');
    if (running) return running.id;
    if (Date.now() > deadline) throw new Error(`the container of task ${taskId} never ran`);
    await sleep(50);
  }
}

export async function containerExists(idOrName: string): Promise<boolean> {
  try {
    await docker.getContainer(idOrName).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

export async function removeContainerQuietly(idOrName: string): Promise<void> {
  try {
    await docker.getContainer(idOrName).remove({ force: true, v: true });
  } catch {
    // gone already
  }
}

export async function imageExists(ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

/** Removes a tag (the image stays while other tags point at it). */
export async function removeImageQuietly(ref: string): Promise<void> {
  try {
    await docker.getImage(ref).remove({ noprune: true });
  } catch {
    // not there
  }
}

/**
 * Ids of the containers this very process created between `sinceMs` and now, from the engine's
 * event log: even a container created and removed at once shows up here.
 */
export async function containersCreatedSince(sinceMs: number): Promise<string[]> {
  const stream = await docker.getEvents({
    since: Math.floor(sinceMs / 1000),
    // Fractional seconds: the engine answers at once instead of waiting for the next second.
    until: Math.floor(Date.now()) / 1000,
    filters: { type: ['container'], event: ['create'], label: [`${LABEL_OWNER}=${ownerLabel()}`] },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  const ids = Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { id: string; timeNano: number })
    .filter((event) => event.timeNano >= sinceMs * 1e6)
    .map((event) => event.id);
  return [...new Set(ids)];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
