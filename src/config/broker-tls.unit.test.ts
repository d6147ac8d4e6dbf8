import { afterEach, describe, expect, it } from 'vitest';
import { validationErrorOf } from '../../test/helpers/validation.js';
import { configure, getConfiguration, resetConfiguration } from './configuration.js';

afterEach(() => resetConfiguration());

describe('brokerTls', () => {
  it('is taken from configure()', () => {
    configure({
      brokerTls: { ca: '/etc/ca.pem', cert: '/etc/c.pem', key: '/etc/c.key', servername: 'rabbit' },
    });
    expect(getConfiguration({}).brokerTls).toEqual({
      ca: '/etc/ca.pem',
      cert: '/etc/c.pem',
      key: '/etc/c.key',
      servername: 'rabbit',
    });
  });

  it("understands Celery's broker_use_ssl names, with cert_reqs only as CERT_REQUIRED", () => {
    configure({
      brokerTls: {
        ca_certs: '/etc/ca.pem',
        certfile: '/etc/c.pem',
        keyfile: '/etc/c.key',
        server_hostname: 'rabbit',
        cert_reqs: 'CERT_REQUIRED',
      } as never,
    });
    expect(getConfiguration({}).brokerTls).toEqual({
      ca: '/etc/ca.pem',
      cert: '/etc/c.pem',
      key: '/etc/c.key',
      servername: 'rabbit',
    });
    const error = validationErrorOf(() => configure({ brokerTls: { cert_reqs: 'CERT_NONE' } as never }));
    expect(error.field).toBe('config.brokerTls.cert_reqs');
    expect(error.message).toMatch(/always verifies/);
  });

  it('refuses a client key without its certificate, and the reverse', () => {
    expect(validationErrorOf(() => configure({ brokerTls: { key: '/k' } })).field).toBe(
      'config.brokerTls.cert',
    );
    expect(validationErrorOf(() => configure({ brokerTls: { cert: '/c' } })).field).toBe(
      'config.brokerTls.key',
    );
    expect(validationErrorOf(() => configure({ brokerTls: { verify: false } as never })).field).toBe(
      'config.brokerTls.verify',
    );
  });

  it('comes from the environment, a bad value named by its variable', () => {
    expect(getConfiguration({}).brokerTls).toBeUndefined();
    expect(
      getConfiguration({
        LONGSHORE_BROKER_CA: '/etc/ca.pem',
        LONGSHORE_BROKER_CERT: '/etc/c.pem',
        LONGSHORE_BROKER_KEY: '/etc/c.key',
        LONGSHORE_BROKER_SERVERNAME: 'rabbit',
      }).brokerTls,
    ).toEqual({ ca: '/etc/ca.pem', cert: '/etc/c.pem', key: '/etc/c.key', servername: 'rabbit' });
    expect(validationErrorOf(() => getConfiguration({ LONGSHORE_BROKER_CERT: '/etc/c.pem' })).field).toBe(
      'LONGSHORE_BROKER_KEY',
    );
    const error = validationErrorOf(() => getConfiguration({ LONGSHORE_BROKER_SERVERNAME: 'a b' }));
    expect(error.field).toBe('LONGSHORE_BROKER_SERVERNAME');
  });

  it('set by configure() wins over the environment', () => {
    configure({ brokerTls: { ca: '/mine.pem' } });
    expect(getConfiguration({ LONGSHORE_BROKER_CA: '/env.pem' }).brokerTls).toEqual({ ca: '/mine.pem' });
  });
});
