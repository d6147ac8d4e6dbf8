import path from 'node:path';
import type { BrokerTlsOptions } from '../config/broker-tls.js';
import {
  BROKER_CA_ENV,
  BROKER_CERT_ENV,
  BROKER_KEY_ENV,
  BROKER_SERVERNAME_ENV,
} from '../config/configuration.js';
import { stringValue, type OptionTable, type OptionValues } from './args.js';
import { brokerTlsOf, type CliSettings } from './cli-config.js';

/** TLS to the broker, for the commands that take --broker (worker, monitor). */
export const BROKER_TLS_OPTIONS: OptionTable = {
  'broker-ca': {
    type: 'string',
    valueName: 'PEM',
    description: `the CA the broker's certificate must chain to, for amqps:// (default: $${BROKER_CA_ENV}, else 'longshore config')`,
  },
  'broker-cert': {
    type: 'string',
    valueName: 'PEM',
    description: `a client certificate to present to the broker (default: $${BROKER_CERT_ENV}); needs --broker-key`,
  },
  'broker-key': {
    type: 'string',
    valueName: 'PEM',
    description: `the client certificate's private key, not encrypted (default: $${BROKER_KEY_ENV})`,
  },
  'broker-servername': {
    type: 'string',
    valueName: 'NAME',
    description: `the name the broker's certificate must carry, when not the URL's host (default: $${BROKER_SERVERNAME_ENV})`,
  },
};

const FLAG_FIELDS = {
  'broker-ca': 'ca',
  'broker-cert': 'cert',
  'broker-key': 'key',
  'broker-servername': 'servername',
} as const;

/**
 * The TLS settings: each flag over the settings (`longshore config`, the environment over the
 * file). Paths given as flags are taken from `cwd`.
 */
export function brokerTlsFromFlags(
  values: OptionValues,
  settings: CliSettings,
  cwd: string,
): BrokerTlsOptions | undefined {
  const merged: CliSettings = { ...settings };
  for (const [flag, field] of Object.entries(FLAG_FIELDS)) {
    const value = stringValue(values[flag]);
    if (value === undefined) continue;
    merged[`brokerTls.${field}`] = field === 'servername' || value === '' ? value : path.resolve(cwd, value);
  }
  return brokerTlsOf(merged);
}
