import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { isEmptyTls, type BrokerTlsOptions } from '../../config/broker-tls.js';
import { messageOf } from '../../core/errors.js';
import { redactUrl } from '../../core/secrets.js';
import { BrokerConnectionError } from '../errors.js';

/** What tls.connect gets, through amqplib's socket options. */
export interface TlsSocketOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  rejectUnauthorized: true;
}

const WHAT: Record<'ca' | 'cert' | 'key', string> = {
  ca: 'CA certificate',
  cert: 'client certificate',
  key: 'client key',
};

/**
 * The socket options for `url`, the files read now (at each connect). undefined for amqp://
 * without TLS settings. Throws a BrokerConnectionError that cannot be retried for settings that
 * cannot work: TLS settings on a clear-text URL, a file that cannot be read, a client key that is
 * not its certificate's. Messages name the setting and the file, never what the files hold.
 */
export async function tlsSocketOptions(
  url: string,
  tls: BrokerTlsOptions | undefined,
): Promise<TlsSocketOptions | undefined> {
  const secure = url.startsWith('amqps:');
  if (!secure) {
    if (isEmptyTls(tls)) return undefined;
    // Silently ignoring them would send what they were meant to protect in clear text.
    throw new BrokerConnectionError(
      `TLS settings for the broker are given (brokerTls) but its URL ${redactUrl(url)} is not amqps://: ` +
        'the connection would not be encrypted; use amqps:// (port 5671)',
      { retryable: false },
    );
  }
  // Never from NODE_TLS_REJECT_UNAUTHORIZED: the broker's certificate is always checked.
  const options: TlsSocketOptions = { rejectUnauthorized: true };
  if (tls?.servername) options.servername = tls.servername;
  for (const field of ['ca', 'cert', 'key'] as const) {
    const file = tls?.[field];
    if (file === undefined) continue;
    try {
      options[field] = await readFile(file);
    } catch (error) {
      throw new BrokerConnectionError(
        `Cannot read the broker ${WHAT[field]} (brokerTls.${field}) ${file}: ${fileProblem(error)}`,
        { cause: error, retryable: false },
      );
    }
  }
  checkFiles(options, tls ?? {});
  return options;
}

/** Parses the PEM files as the TLS connection will, to name the file at fault before connecting. */
function checkFiles(options: TlsSocketOptions, tls: BrokerTlsOptions): void {
  const refuse = (field: 'ca' | 'cert' | 'key', problem: string, cause?: unknown): never => {
    throw new BrokerConnectionError(
      `The broker ${WHAT[field]} (brokerTls.${field}) ${tls[field]} ${problem}`,
      { cause, retryable: false },
    );
  };
  // Node takes a CA file without a certificate in it silently, and every connection then fails.
  if (options.ca) {
    try {
      if (!options.ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
      new X509Certificate(options.ca);
    } catch (error) {
      refuse('ca', `is not a PEM certificate: ${messageOf(error)}`, error);
    }
  }
  // OpenSSL's reasons are codes and routine names, never the bytes it was given.
  if (options.cert) {
    try {
      createSecureContext({ cert: options.cert });
    } catch (error) {
      refuse('cert', `is not a PEM certificate: ${messageOf(error)}`, error);
    }
  }
  if (options.cert && options.key) {
    try {
      createSecureContext({ cert: options.cert, key: options.key });
    } catch (error) {
      refuse(
        'key',
        `is not an unencrypted PEM key for the client certificate ${tls.cert}: ${messageOf(error)}`,
        error,
      );
    }
  }
}

function fileProblem(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'a directory, not a file';
  return messageOf(error);
}
