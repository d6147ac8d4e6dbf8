import { z } from 'zod';

/**
 * TLS to the broker, for an `amqps://` URL. Paths to PEM files, read each time a connection
 * opens (a renewed certificate is picked up by the next connection). The broker's certificate
 * is always verified, and its name checked: there is no switch to turn that off.
 */
export interface BrokerTlsOptions {
  /**
   * The CA certificate(s) the broker's certificate must chain to. Given, it replaces Node's
   * built-in roots; without it, those roots and `NODE_EXTRA_CA_CERTS` apply.
   */
  ca?: string | undefined;
  /** A client certificate to present (RabbitMQ's `verify_peer`, or its EXTERNAL login); needs `key`. */
  cert?: string | undefined;
  /** The client certificate's private key (not encrypted). */
  key?: string | undefined;
  /** The name the broker's certificate must carry, when it differs from the URL's host. */
  servername?: string | undefined;
}

/**
 * Celery's `broker_use_ssl` names (Python's ssl module), so that a site's settings carry over:
 * `ca_certs`, `certfile`, `keyfile`, `server_hostname`, and `cert_reqs` only as CERT_REQUIRED.
 */
const CELERY_NAMES: Record<string, keyof BrokerTlsOptions> = {
  ca_certs: 'ca',
  certfile: 'cert',
  keyfile: 'key',
  server_hostname: 'servername',
};

/** Python's ssl.CERT_REQUIRED, by name or by its value. */
const CERT_REQUIRED = new Set<unknown>(['CERT_REQUIRED', 'ssl.CERT_REQUIRED', 'required', 2]);

function fromCeleryNames(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    // Left in when it is not CERT_REQUIRED, so that the schema refuses it by name.
    if (name === 'cert_reqs' && CERT_REQUIRED.has(value)) continue;
    out[CELERY_NAMES[name] ?? name] = value;
  }
  return out;
}

const filePath = z.string('expected a file path').trim().min(1, 'expected a file path');

/** Each setting's own shape (the environment's variables are checked one by one with these). */
export const brokerTlsFields = {
  ca: filePath,
  cert: filePath,
  key: filePath,
  servername: z
    .string('expected a host name')
    .trim()
    .regex(/^[^\s/:]+$/, 'expected a host name'),
};

/** A client certificate and its key go together: the field missing, with what is wrong, or undefined. */
export function missingPairField(
  tls: BrokerTlsOptions,
): { field: 'cert' | 'key'; expected: string } | undefined {
  if (tls.key !== undefined && tls.cert === undefined)
    return { field: 'cert', expected: 'a client key needs its certificate' };
  if (tls.cert !== undefined && tls.key === undefined)
    return { field: 'key', expected: 'a client certificate needs its private key' };
  return undefined;
}

export const brokerTlsSchema = z.preprocess(
  fromCeleryNames,
  z
    .strictObject({
      ca: brokerTlsFields.ca.optional(),
      cert: brokerTlsFields.cert.optional(),
      key: brokerTlsFields.key.optional(),
      servername: brokerTlsFields.servername.optional(),
      cert_reqs: z.never('only CERT_REQUIRED: longshore always verifies the broker certificate').optional(),
    })
    .transform(({ cert_reqs: _ignored, ...tls }): BrokerTlsOptions => tls)
    .superRefine((tls, ctx) => {
      const missing = missingPairField(tls);
      if (missing) ctx.addIssue({ code: 'custom', path: [missing.field], message: missing.expected });
    }),
);

/** True when nothing is set (no TLS options at all). */
export function isEmptyTls(tls: BrokerTlsOptions | undefined): boolean {
  return !tls || Object.values(tls).every((value) => value === undefined);
}
