import { open, type FileHandle } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { messageOf } from '../../core/errors.js';
import { SocketFeeder, socketFeederAvailable } from '../../direct-io/socket-feeder.js';
import type { GirderClient } from '../girder-client.js';
import type { QueryValue } from '../http/girder-http.js';
import { KeptConnection } from '../../direct-io/kept-connection.js';
import { GirderUploadError } from './upload-error.js';

export interface FileChunkRequest {
  query: Record<string, QueryValue>;
  /** The file's bytes [start, start + length) are the body. */
  start: number;
  length: number;
  signal?: AbortSignal | undefined;
  action: string;
}

/** Whether this client's chunks can leave a host file by sendfile (plain HTTP, perl, a known arch). */
export async function canSendFile(client: GirderClient): Promise<boolean> {
  return client.rawSocketReaches(client.apiUrl) && (await socketFeederAvailable());
}

/**
 * Sends the chunks of one host file (`POST file/chunk`) by sendfile, on one kept connection fed by
 * one child: the upload then costs this process next to nothing, where Node's client spent 0.5 to
 * 1 s of CPU per GiB, and neither a connection nor a child is started per chunk. A chunk is not
 * retried here, like any streamed body: the caller sends it again from Girder's offset, on a new
 * connection. `close` releases the connection, the child and the file.
 */
export class FileChunkSender {
  readonly #connection = new KeptConnection();
  #feeder: SocketFeeder | undefined;
  #file: FileHandle | undefined;

  constructor(
    readonly client: GirderClient,
    readonly hostPath: string,
  ) {}

  async send<T>(request: FileChunkRequest): Promise<T> {
    const { length, signal, action } = request;
    const response = await this.client.request<T>('POST', 'file/chunk', {
      query: request.query,
      headers: { 'Content-Type': 'application/octet-stream' },
      signal,
      action,
      bodyWriter: {
        length,
        connection: this.#connection,
        write: (socket) => this.#write(socket, request),
      },
    });
    return response.data;
  }

  close(): void {
    this.#feeder?.close();
    this.#feeder = undefined;
    this.#connection.close();
    void this.#file?.close().catch(() => undefined);
    this.#file = undefined;
  }

  async #write(socket: Socket, { start, length, signal, action }: FileChunkRequest): Promise<void> {
    try {
      this.#file ??= await open(this.hostPath, 'r');
    } catch (error) {
      throw new GirderUploadError(`Could not ${action}: reading failed: ${messageOf(error)}`, {
        cause: error,
      });
    }
    if (this.#feeder?.socket !== socket) {
      this.#feeder?.close();
      this.#feeder = await SocketFeeder.start(socket, this.#file.fd, {
        mode: 'file',
        idleTimeoutMs: this.client.policy.timeoutMs,
      });
    }
    const sent = await this.#feeder.sendFile(start, length, signal);
    if (sent.outcome === 'ok') return;
    // The connection is not reused after a short send: neither is its feeder.
    this.#feeder.close();
    this.#feeder = undefined;
    if (sent.outcome === 'file') {
      throw new GirderUploadError(
        `Could not ${action}: reading failed: ${this.hostPath} changed during the upload (${sent.why}; ${sent.bytes} of ${length} bytes sent)`,
      );
    }
    throw Object.assign(new Error(sent.why ?? 'the connection broke'), { code: 'ECONNRESET' });
  }
}
