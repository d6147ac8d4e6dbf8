import Docker from 'dockerode';
import type { Readable } from 'node:stream';
import {
  ContainerStartError,
  DockerEngineError,
  ImagePullError,
  LongshoreError,
  messageOf,
} from '../core/errors.js';
import type { PullProgress } from '../execution/reporter.js';
import { splitJsonLines } from './json-lines.js';

/**
 * The one module that talks to dockerode. Everything else speaks in longshore's own terms:
 * image references, create bodies, container ids.
 */

export interface EngineOptions {
  socketPath?: string;
}

export interface ImageInfo {
  id: string;
  labels: Record<string, string>;
}

export interface LabelledContainer {
  id: string;
  labels: Record<string, string>;
  state: string;
}

/** The multiplexed output of an attached container (stdout and stderr framed together). */
export interface AttachedStream {
  stream: Readable;
}

export class DockerEngine {
  readonly #docker: Docker;

  constructor(options: EngineOptions = {}) {
    this.#docker = new Docker(options.socketPath ? { socketPath: options.socketPath } : undefined);
  }

  async ping(): Promise<void> {
    try {
      await this.#docker.ping();
    } catch (error) {
      throw new DockerEngineError(`The Docker engine does not answer: ${messageOf(error)}`, { cause: error });
    }
  }

  /** The image's id and labels, or null when the engine does not have it. */
  async inspectImage(image: string): Promise<ImageInfo | null> {
    try {
      const info = await this.#docker.getImage(image).inspect();
      return { id: info.Id, labels: info.Config?.Labels ?? {} };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw engineError(`inspecting image ${image}`, error);
    }
  }

  /** Pulls an image; an `error` line inside the progress stream fails the pull, as it should. */
  async pull(image: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    let stream: Readable;
    try {
      stream = (await this.#docker.pull(image, { abortSignal: signal })) as Readable;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new ImagePullError(image, messageOf(error), { cause: error });
    }
    const abort = () => stream.destroy();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      for await (const line of splitJsonLines(stream)) {
        const event = line as {
          status?: string;
          id?: string;
          error?: string;
          errorDetail?: { message?: string };
          progressDetail?: { current?: number; total?: number };
        };
        if (event.error || event.errorDetail) {
          throw new ImagePullError(image, event.errorDetail?.message ?? event.error ?? 'unknown error');
        }
        onProgress({
          image,
          status: event.status ?? '',
          ...(event.id ? { layer: event.id } : {}),
          ...(event.progressDetail?.current !== undefined ? { current: event.progressDetail.current } : {}),
          ...(event.progressDetail?.total !== undefined ? { total: event.progressDetail.total } : {}),
        });
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof LongshoreError) throw error;
      throw new ImagePullError(image, messageOf(error), { cause: error });
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  async createContainer(body: Record<string, unknown>): Promise<string> {
    try {
      const container = await this.#docker.createContainer(body);
      return container.id;
    } catch (error) {
      throw new ContainerStartError(`The engine refused to create the container: ${reason(error)}`, {
        cause: error,
      });
    }
  }

  /** Attach before start, so that not a byte of early output is lost. */
  async attach(id: string): Promise<AttachedStream> {
    try {
      const stream = (await this.#docker
        .getContainer(id)
        .attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
      return { stream };
    } catch (error) {
      throw engineError(`attaching to container ${id}`, error);
    }
  }

  async start(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).start();
    } catch (error) {
      throw new ContainerStartError(`The engine could not start the container: ${reason(error)}`, {
        cause: error,
      });
    }
  }

  /** Resolves with the exit code once the container is no longer running. */
  async wait(id: string): Promise<number> {
    try {
      const result = (await this.#docker.getContainer(id).wait()) as { StatusCode: number };
      return result.StatusCode;
    } catch (error) {
      throw engineError(`waiting for container ${id}`, error);
    }
  }

  /** SIGTERM, then SIGKILL after `graceSeconds`. A container that already stopped is fine. */
  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.#docker.getContainer(id).stop({ t: Math.ceil(graceSeconds) });
    } catch (error) {
      const status = statusOf(error);
      if (status === 304 || status === 404) return;
      throw engineError(`stopping container ${id}`, error);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      // Gone already, or the engine is removing it: both mean it will not be left behind.
      if (statusOf(error) === 404 || /removal of container .* is already in progress/i.test(reason(error))) {
        return;
      }
      throw engineError(`removing container ${id}`, error);
    }
  }

  async listContainers(label: string): Promise<LabelledContainer[]> {
    try {
      const list = await this.#docker.listContainers({ all: true, filters: { label: [label] } });
      return list.map((c) => ({ id: c.Id, labels: c.Labels ?? {}, state: c.State }));
    } catch (error) {
      throw engineError('listing containers', error);
    }
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | null)?.statusCode;
}

/** The engine's own words, without dockerode's "(HTTP code 400) unexpected - " preamble. */
function reason(error: unknown): string {
  const json = (error as { json?: { message?: string } } | null)?.json;
  return json?.message ?? messageOf(error);
}

const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH']);

function engineError(doing: string, error: unknown): DockerEngineError {
  const cause = error as { code?: string; address?: string } | null;
  if (cause?.code && UNREACHABLE.has(cause.code)) {
    return new DockerEngineError(
      `The Docker engine does not answer at ${cause.address ?? 'its socket'} (${cause.code}) while ${doing}: ` +
        'is dockerd running, and may this user use its socket?',
      { cause: error },
    );
  }
  return new DockerEngineError(`Docker engine error while ${doing}: ${reason(error)}`, { cause: error });
}
