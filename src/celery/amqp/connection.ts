import amqplib from 'amqplib';
import { messageOf } from '../../core/errors.js';
import { redactUrl } from '../../core/secrets.js';
import { BrokerConnectionError } from '../errors.js';
import { encodeHeaders } from './header-encoding.js';
import { tlsSocketOptions } from './tls-socket-options.js';
import type { BrokerTlsOptions } from '../../config/broker-tls.js';

/**
 * The one module that talks to amqplib. Everything else sees these small wrappers: a connection,
 * channels with publisher confirms, consumers, and messages as plain data. Integers in headers
 * are sent as AMQP int32 (see header-encoding.ts): amqplib's int8/int16 guesses crash Python
 * workers.
 */

export interface DeliveredMessage {
  content: Buffer;
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  headers: Record<string, unknown>;
  correlationId: string | undefined;
  replyTo: string | undefined;
  priority: number | undefined;
  deliveryMode: number | undefined;
  expiration: string | undefined;
}

export interface PublishProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: Record<string, unknown>;
  correlationId?: string;
  replyTo?: string;
  /** 1 transient, 2 persistent. */
  deliveryMode?: 1 | 2;
  priority?: number;
  /** Milliseconds, as a string (AMQP per-message TTL). */
  expiration?: string;
}

export interface QueueOptions {
  durable?: boolean;
  exclusive?: boolean;
  autoDelete?: boolean;
  arguments?: Record<string, unknown>;
}

export interface ExchangeOptions {
  durable?: boolean;
  autoDelete?: boolean;
}

type CloseListener = (error: Error | undefined) => void;

/** A channel whose publishes are confirmed by the broker before `publish()` resolves. */
export class AmqpChannel {
  readonly #channel: amqplib.ConfirmChannel;
  #closed = false;
  readonly #closeListeners = new Set<CloseListener>();
  #error: Error | undefined;

  /** @internal */
  constructor(channel: amqplib.ConfirmChannel) {
    this.#channel = channel;
    channel.on('error', (error: Error) => {
      this.#error = error;
    });
    channel.on('close', () => {
      this.#closed = true;
      for (const listener of this.#closeListeners) listener(this.#error);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Called once when the channel closes (with the broker's error, if it closed it). */
  onClose(listener: CloseListener): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  async assertQueue(name: string, options: QueueOptions = {}): Promise<void> {
    await this.#channel.assertQueue(name, {
      durable: options.durable ?? true,
      exclusive: options.exclusive ?? false,
      autoDelete: options.autoDelete ?? false,
      ...(options.arguments ? { arguments: encodeHeaders(options.arguments) } : {}),
    });
  }

  /** A queue's message and consumer counts; rejects (and the broker closes the channel) if it does not exist. */
  async checkQueue(name: string): Promise<{ messageCount: number; consumerCount: number }> {
    const reply = await this.#channel.checkQueue(name);
    return { messageCount: reply.messageCount, consumerCount: reply.consumerCount };
  }

  async deleteQueue(name: string): Promise<void> {
    await this.#channel.deleteQueue(name);
  }

  async assertExchange(name: string, type: 'direct' | 'fanout' | 'topic', options: ExchangeOptions = {}) {
    await this.#channel.assertExchange(name, type, {
      durable: options.durable ?? true,
      autoDelete: options.autoDelete ?? false,
    });
  }

  async deleteExchange(name: string): Promise<void> {
    await this.#channel.deleteExchange(name);
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.#channel.bindQueue(queue, exchange, routingKey);
  }

  /** Resolves once the broker has confirmed the message (rejects if it refused it). */
  publish(exchange: string, routingKey: string, body: Buffer, properties: PublishProperties): Promise<void> {
    const options: amqplib.Options.Publish = {
      contentType: properties.contentType,
      contentEncoding: properties.contentEncoding,
      headers: properties.headers ? encodeHeaders(properties.headers) : {},
      correlationId: properties.correlationId,
      replyTo: properties.replyTo,
      deliveryMode: properties.deliveryMode,
      priority: properties.priority,
      expiration: properties.expiration,
    };
    return new Promise<void>((resolve, reject) => {
      if (this.#closed) {
        reject(new BrokerConnectionError('The channel is closed; the message was not sent'));
        return;
      }
      try {
        this.#channel.publish(exchange, routingKey, body, options, (error: unknown) => {
          if (error) reject(new BrokerConnectionError(`The broker refused the message: ${messageOf(error)}`));
          else resolve();
        });
      } catch (error) {
        reject(new BrokerConnectionError(`Could not publish: ${messageOf(error)}`, { cause: error }));
      }
    });
  }

  /**
   * Consumes `queue`. `onMessage(null)` means the broker cancelled the consumer (queue deleted).
   * Resolves with the consumer tag.
   */
  async consume(
    queue: string,
    onMessage: (message: DeliveredMessage | null) => void,
    options: { noAck?: boolean; exclusive?: boolean } = {},
  ): Promise<string> {
    const reply = await this.#channel.consume(
      queue,
      (raw) => onMessage(raw === null ? null : toDelivered(raw)),
      { noAck: options.noAck ?? false, exclusive: options.exclusive ?? false },
    );
    return reply.consumerTag;
  }

  async cancel(consumerTag: string): Promise<void> {
    if (this.#closed) return;
    await this.#channel.cancel(consumerTag);
  }

  /** Acknowledges a delivery; false when the channel it came on is gone (it will be redelivered). */
  ack(deliveryTag: number): boolean {
    if (this.#closed) return false;
    this.#channel.ack(fakeMessage(deliveryTag));
    return true;
  }

  /** Gives a delivery back (requeue) or drops it; false when the channel is gone. */
  nack(deliveryTag: number, requeue: boolean): boolean {
    if (this.#closed) return false;
    this.#channel.nack(fakeMessage(deliveryTag), false, requeue);
    return true;
  }

  /** basic.qos: at most `count` unacknowledged deliveries on this channel (0 = no limit). */
  async prefetch(count: number): Promise<void> {
    if (this.#closed) return;
    await this.#channel.prefetch(count, true);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#channel.close();
    } catch {
      // Already closing with its connection.
    }
  }
}

/** One AMQP connection. `onClose` tells whether it was lost (an error) or closed by us. */
export class AmqpConnection {
  readonly #model: amqplib.ChannelModel;
  readonly #url: string;
  #closed = false;
  #closedByUs = false;
  readonly #closeListeners = new Set<CloseListener>();

  private constructor(model: amqplib.ChannelModel, url: string) {
    this.#model = model;
    this.#url = url;
    let lastError: Error | undefined;
    model.on('error', (error: Error) => {
      lastError = error;
    });
    model.on('close', (error?: Error) => {
      this.#closed = true;
      const reason = this.#closedByUs
        ? undefined
        : new BrokerConnectionError(
            `Lost the connection to the broker at ${redactUrl(url)}: ${messageOf(error ?? lastError ?? 'closed')}`,
            { cause: error ?? lastError },
          );
      for (const listener of this.#closeListeners) listener(reason);
    });
  }

  /** `tls` applies to amqps:// URLs: its files are read now, and the broker's certificate is verified. */
  static async open(url: string, name = 'longshore', tls?: BrokerTlsOptions): Promise<AmqpConnection> {
    const tlsOptions = await tlsSocketOptions(url, tls);
    try {
      const model = await amqplib.connect(url, {
        ...tlsOptions,
        clientProperties: { connection_name: name, product: 'longshore' },
        timeout: 10_000,
        // amqplib leaves Nagle's algorithm on: a publish written in several pieces then waits
        // for the broker's delayed ACK, milliseconds per task message, result or confirm.
        noDelay: true,
      });
      return new AmqpConnection(model, url);
    } catch (error) {
      const tlsProblem = tlsOptions ? describeTlsError(error, tls) : undefined;
      throw new BrokerConnectionError(
        `Cannot connect to the broker at ${redactUrl(url)}: ${tlsProblem ?? describeConnectError(error)}`,
        // A certificate that does not verify now will not on the next attempt either.
        { cause: error, retryable: tlsProblem === undefined },
      );
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  get url(): string {
    return this.#url;
  }

  onClose(listener: CloseListener): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  async channel(): Promise<AmqpChannel> {
    try {
      return new AmqpChannel(await this.#model.createConfirmChannel());
    } catch (error) {
      throw new BrokerConnectionError(`Cannot open a channel: ${messageOf(error)}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closedByUs = true;
    try {
      await this.#model.close();
    } catch {
      // Lost already: nothing more to release.
    }
    this.#closed = true;
  }
}

function toDelivered(raw: amqplib.ConsumeMessage): DeliveredMessage {
  const p = raw.properties;
  return {
    content: raw.content,
    deliveryTag: raw.fields.deliveryTag,
    redelivered: raw.fields.redelivered,
    exchange: raw.fields.exchange,
    routingKey: raw.fields.routingKey,
    contentType: p.contentType as string | undefined,
    contentEncoding: p.contentEncoding as string | undefined,
    headers: p.headers ?? {},
    correlationId: p.correlationId as string | undefined,
    replyTo: p.replyTo as string | undefined,
    priority: p.priority as number | undefined,
    deliveryMode: p.deliveryMode as number | undefined,
    expiration: p.expiration as string | undefined,
  };
}

/** amqplib's ack/nack only read `fields.deliveryTag`. */
function fakeMessage(deliveryTag: number): amqplib.Message {
  return { fields: { deliveryTag } } as unknown as amqplib.Message;
}

/** Node's codes for a broker certificate that does not verify (its chain, dates or name). */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A TLS failure said plainly, with the setting to look at; undefined when it is not one. */
function describeTlsError(error: unknown, tls: BrokerTlsOptions | undefined): string | undefined {
  const code = (error as { code?: string } | null)?.code ?? '';
  const message = messageOf(error);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the broker's certificate is not for this name (${message}); check the URL's host or brokerTls.servername${tls?.servername ? ` (${tls.servername})` : ''}`;
  }
  if (CERTIFICATE_CODES.has(code)) {
    return `the broker's certificate did not verify (${code}: ${message}); check brokerTls.ca${tls?.ca ? ` (${tls.ca})` : " (none given: Node's built-in roots and NODE_EXTRA_CA_CERTS apply)"}`;
  }
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL/.test(code)) {
    return `no TLS answer (${code}); is this the broker's TLS port (usually 5671)?`;
  }
  if (/^ERR_SSL_/.test(code)) {
    // The broker's alert: it did not accept our certificate (or lack of one).
    return `the TLS handshake failed (${code}: ${message}); the broker may not accept the client certificate (brokerTls.cert${tls?.cert ? ` ${tls.cert}` : ': none given'})`;
  }
  return undefined;
}

function describeConnectError(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  const message = messageOf(error);
  if (code === 'ECONNREFUSED') return 'connection refused (is RabbitMQ running?)';
  if (/ACCESS_REFUSED|403/.test(message)) return 'access refused (check the user name and password)';
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
