import { EventEmitter } from 'node:events';
import { messageOf } from '../../core/errors.js';
import { redactUrl } from '../../core/secrets.js';
import { BrokerConnectionError } from '../errors.js';
import { backoffDelay, sleep, type BackoffOptions } from '../../core/backoff.js';
import { AmqpConnection } from './connection.js';
import type { BrokerTlsOptions } from '../../config/broker-tls.js';

export interface BrokerLinkOptions {
  /** The connection's name, as the broker's management UI shows it. */
  name: string;
  /** TLS for an amqps:// URL (files read at each connect). */
  tls?: BrokerTlsOptions | undefined;
  /** Consecutive failed attempts before `connection()` gives up (Infinity: never, as a worker does). */
  maxAttempts?: number;
  /** The same once a connection has been made (a broker restart takes a while); default maxAttempts. */
  maxReconnectAttempts?: number;
  backoff?: BackoffOptions;
  /**
   * Runs after each (re)connect, before anyone gets the connection: declare queues, start
   * consumers. If it throws, the connection is closed and the attempt counts as failed.
   */
  setup?: (connection: AmqpConnection) => Promise<void>;
  /** After a loss, reconnect at once even if nobody asks (a worker: always; a client: while it waits for results). */
  stayConnected?: () => boolean;
}

export interface BrokerLinkEvents {
  connected: [{ attempt: number }];
  /** The connection was lost (never emitted for our own close()). */
  lost: [BrokerConnectionError];
  /** An attempt failed; the next one comes after `delayMs`. */
  retrying: [{ attempt: number; delayMs: number; error: Error }];
  /** `maxAttempts` attempts failed in a row. */
  failed: [BrokerConnectionError];
}

/**
 * A connection to the broker that comes back: connects on demand, retries with exponential
 * backoff, and reconnects after a loss (running `setup` again each time).
 */
export class BrokerLink extends EventEmitter<BrokerLinkEvents> {
  readonly url: string;
  readonly #options: BrokerLinkOptions;
  #current: AmqpConnection | undefined;
  #everConnected = false;
  #connecting: Promise<AmqpConnection> | undefined;
  readonly #closing = new AbortController();

  constructor(url: string, options: BrokerLinkOptions) {
    super();
    this.url = url;
    this.#options = options;
  }

  get connected(): boolean {
    return this.#current !== undefined && !this.#current.closed && this.#connecting === undefined;
  }

  get isClosed(): boolean {
    return this.#closing.signal.aborted;
  }

  /** The live connection, connecting (with retries) if there is none. */
  connection(): Promise<AmqpConnection> {
    if (this.isClosed) return Promise.reject(new BrokerConnectionError('The broker connection was closed'));
    if (this.#current && !this.#current.closed && !this.#connecting) return Promise.resolve(this.#current);
    this.#connecting ??= this.#connectLoop().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connectLoop(): Promise<AmqpConnection> {
    const maxAttempts =
      (this.#everConnected ? this.#options.maxReconnectAttempts : undefined) ??
      this.#options.maxAttempts ??
      Infinity;
    for (let attempt = 1; ; attempt++) {
      if (this.isClosed) throw new BrokerConnectionError('The broker connection was closed');
      let conn: AmqpConnection | undefined;
      try {
        conn = await AmqpConnection.open(this.url, this.#options.name, this.#options.tls);
        if (this.isClosed) {
          await conn.close();
          throw new BrokerConnectionError('The broker connection was closed');
        }
        const opened = conn;
        opened.onClose((error) => this.#onClose(opened, error));
        this.#current = opened;
        await this.#options.setup?.(opened);
        if (opened.closed) throw new BrokerConnectionError('The connection closed during set-up');
        this.#everConnected = true;
        this.emit('connected', { attempt });
        return opened;
      } catch (caught) {
        await conn?.close();
        if (this.isClosed) throw caught;
        const error =
          caught instanceof BrokerConnectionError
            ? caught
            : new BrokerConnectionError(
                `Setting up on the broker at ${redactUrl(this.url)} failed: ${messageOf(caught)}`,
                { cause: caught },
              );
        // Settings that cannot work (TLS files, a certificate that does not verify) fail at once
        // on the first connect; after a loss they are retried, as a broker's renewal may be under way.
        const hopeless = !error.retryable && !this.#everConnected;
        if (attempt >= maxAttempts || hopeless) {
          const failed = hopeless
            ? error
            : new BrokerConnectionError(
                `${error.message} (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'})`,
                { cause: error },
              );
          this.emit('failed', failed);
          throw failed;
        }
        const delayMs = backoffDelay(attempt, this.#options.backoff);
        this.emit('retrying', { attempt, delayMs, error });
        await sleep(delayMs, this.#closing.signal);
      }
    }
  }

  #onClose(conn: AmqpConnection, error: Error | undefined): void {
    if (this.#current !== conn) return;
    this.#current = undefined;
    if (!error || this.isClosed) return;
    this.emit(
      'lost',
      error instanceof BrokerConnectionError
        ? error
        : new BrokerConnectionError(error.message, { cause: error }),
    );
    if (this.#options.stayConnected?.() && !this.#connecting) {
      this.connection().catch(() => undefined);
    }
  }

  /** Drops the current connection (a channel broke) and connects again, running `setup` anew. */
  async reconnect(reason: string): Promise<void> {
    const conn = this.#current;
    if (!conn || this.isClosed) return;
    this.#current = undefined;
    this.emit('lost', new BrokerConnectionError(`Reconnecting to the broker: ${reason}`));
    await conn.close();
    if (!this.isClosed) this.connection().catch(() => undefined);
  }

  /** Closes the connection and stops any reconnecting. Idempotent. */
  async close(): Promise<void> {
    this.#closing.abort();
    const connecting = this.#connecting;
    await this.#current?.close();
    this.#current = undefined;
    await connecting?.catch(() => undefined);
  }
}
