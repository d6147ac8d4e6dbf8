import { StreamError, TaskCancelledError } from '../core/errors.js';
import type { StreamIO } from '../execution/endpoints.js';
import type { Connection } from '../execution/local-task-context.js';
import type { TaskContext } from '../execution/task-context.js';
import { runConnection } from '../execution/connection.js';
import { ContainerOutput } from './container-output.js';
import type { DockerEngine } from './engine.js';

export interface ContainerRunOptions {
  removeContainer: boolean;
  /** Seconds between SIGTERM and SIGKILL on cancel. */
  stopTimeout: number;
  connections: readonly Connection[];
}

export interface ExitedContainer {
  id: string;
  exitCode: number;
  stderrTail: string;
  /** Errors of stream connections (the container itself may still have exited 0). */
  streamErrors: unknown[];
}

const PUMP_SETTLE_MS = 5000;

/**
 * One container's life: create → attach → start → wait (or stop on cancel) → remove. Output is
 * attached before the start so that nothing the container prints early is lost.
 */
export async function runContainer(
  engine: DockerEngine,
  body: Record<string, unknown>,
  ctx: TaskContext,
  options: ContainerRunOptions,
): Promise<ExitedContainer> {
  const id = await engine.createContainer(body);
  if (options.removeContainer) ctx.cleanup.defer(`remove container ${id}`, () => engine.remove(id));
  else ctx.cleanup.defer(`stop container ${id}`, () => engine.stop(id, 0));

  const output = new ContainerOutput(ctx.reporter);
  const attached = await engine.attach(id);
  ctx.cleanup.defer('close the attach stream', () => attached.stream.destroy());
  const drained = output.consume(attached.stream);

  const exited = new AbortController();
  // Streams are not torn down on cancel: stopping the container ends them, and what it says
  // while stopping still arrives. They are abandoned only if they outlive it.
  const abandoned = new AbortController();
  let pumps: Promise<void>[] = [];
  // Whatever happens next, pumps still waiting for the container give up before their FIFOs go.
  ctx.cleanup.defer('release stream connections', async () => {
    exited.abort();
    if (await settleWithin(pumps, PUMP_SETTLE_MS)) return;
    abandoned.abort(new StreamError('The stream outlived its container and was abandoned'));
    await settleWithin(pumps, PUMP_SETTLE_MS);
  });
  const io: StreamIO = {
    signal: abandoned.signal,
    containerExited: exited.signal,
    reporter: ctx.reporter,
    containerOutput: (stream) => output.output(stream),
  };
  pumps = options.connections.map((c) => runConnection(c.source, c.sink, io));
  for (const pump of pumps) pump.catch(() => undefined);

  ctx.signal.throwIfAborted();
  await engine.start(id);
  const stop = () => {
    engine.stop(id, options.stopTimeout).catch((error) => ctx.reporter.warning(`Stopping ${id}: ${error}`));
  };
  ctx.signal.addEventListener('abort', stop, { once: true });
  // A cancel that arrived while the engine was starting the container must still stop it.
  if (ctx.signal.aborted) stop();
  let exitCode: number;
  try {
    exitCode = await engine.wait(id);
  } finally {
    ctx.signal.removeEventListener('abort', stop);
    exited.abort();
  }
  await drained.catch(() => undefined);
  const settled = await Promise.allSettled(pumps);
  if (ctx.signal.aborted) throw new TaskCancelledError(undefined, { cause: ctx.signal.reason });
  return {
    id,
    exitCode,
    stderrTail: output.stderrTail,
    streamErrors: settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : [])),
  };
}

/** true when every promise settled in time. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = Promise.allSettled(promises).then(() => true);
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
