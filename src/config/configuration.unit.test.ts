import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { validationErrorOf } from '../../test/helpers/validation.js';
import { configure, getConfiguration, getDirectIoSetting, resetConfiguration } from './configuration.js';

afterEach(() => resetConfiguration());

describe('getConfiguration', () => {
  it('has defaults for every process setting', () => {
    expect(getConfiguration({})).toEqual({
      broker: undefined,
      brokerTls: undefined,
      resultBackend: 'rpc://',
      girder: undefined,
      tmpRoot: tmpdir(),
      dockerSocket: undefined,
      logLevel: 'info',
      logFormat: 'pretty',
      directIo: true,
      revokes: { max: 50_000, expiresSeconds: 10_800 },
      monitor: { authFile: undefined, allowedHosts: [], secureCookie: false, token: undefined },
      dockerRunDefaults: { longshore: undefined, girderWorker: undefined },
    });
  });

  it("reads the monitor's login settings", () => {
    expect(
      getConfiguration({
        LONGSHORE_MONITOR_AUTH_FILE: '/etc/longshore/monitor.auth',
        LONGSHORE_MONITOR_ALLOWED_HOSTS: 'monitor.example.org, proxy:8443,',
        LONGSHORE_MONITOR_SECURE_COOKIE: 'true',
        LONGSHORE_MONITOR_TOKEN: 'secret-token-value',
      }).monitor,
    ).toEqual({
      authFile: '/etc/longshore/monitor.auth',
      allowedHosts: ['monitor.example.org', 'proxy:8443'],
      secureCookie: true,
      token: 'secret-token-value',
    });
    expect(() => getConfiguration({ LONGSHORE_MONITOR_SECURE_COOKIE: 'maybe' })).toThrow(
      /LONGSHORE_MONITOR_SECURE_COOKIE/,
    );
  });

  it('reads each variable, with Celery level names and its revoke limits', () => {
    const resolved = getConfiguration({
      LONGSHORE_TMP_ROOT: '/srv/tmp',
      LONGSHORE_DOCKER_SOCKET: '/run/other.sock',
      LONGSHORE_LOG_LEVEL: 'WARNING',
      LONGSHORE_LOG_FORMAT: 'json',
      CELERY_WORKER_REVOKES_MAX: '10',
      CELERY_WORKER_REVOKE_EXPIRES: '60',
      LONGSHORE_DOCKER_RUN_OPTIONS: '{"user":"1000"}',
      GIRDER_WORKER_DOCKER_RUN_OPTIONS: '{}',
    });
    expect(resolved).toMatchObject({
      tmpRoot: '/srv/tmp',
      dockerSocket: '/run/other.sock',
      logLevel: 'warn',
      logFormat: 'json',
      revokes: { max: 10, expiresSeconds: 60 },
      dockerRunDefaults: { longshore: '{"user":"1000"}', girderWorker: '{}' },
    });
  });

  it('keeps Celery’s defaults for revoke limits that are not positive numbers, as Celery does', () => {
    expect(
      getConfiguration({ CELERY_WORKER_REVOKES_MAX: '-1', CELERY_WORKER_REVOKE_EXPIRES: 'x' }).revokes,
    ).toEqual({
      max: 50_000,
      expiresSeconds: 10_800,
    });
  });

  it('names the variable and the value when one is bad', () => {
    const level = validationErrorOf(() => getConfiguration({ LONGSHORE_LOG_LEVEL: 'loud' }));
    expect(level.field).toBe('LONGSHORE_LOG_LEVEL');
    expect(level.value).toBe('loud');
    const root = validationErrorOf(() => getConfiguration({ LONGSHORE_TMP_ROOT: 'relative/dir' }));
    expect(root.message).toBe('Invalid LONGSHORE_TMP_ROOT: "relative/dir" (expected an absolute path)');
    expect(validationErrorOf(() => getConfiguration({ LONGSHORE_LOG_FORMAT: 'xml' })).field).toBe(
      'LONGSHORE_LOG_FORMAT',
    );
  });

  it('turns direct I/O off with LONGSHORE_DIRECT_IO=off (or 0, false, no), on otherwise', () => {
    for (const off of ['off', '0', 'false', 'no', ' OFF ', 'No']) {
      expect(getDirectIoSetting({ LONGSHORE_DIRECT_IO: off })).toBe(false);
    }
    for (const on of ['on', 'auto', '1', 'true', 'yes', 'Auto', '']) {
      expect(getDirectIoSetting({ LONGSHORE_DIRECT_IO: on })).toBe(true);
    }
    expect(getConfiguration({ LONGSHORE_DIRECT_IO: 'off' }).directIo).toBe(false);
    const bad = validationErrorOf(() => getDirectIoSetting({ LONGSHORE_DIRECT_IO: 'sometimes' }));
    expect(bad.message).toBe(
      'Invalid LONGSHORE_DIRECT_IO: "sometimes" (expected on, auto or off (or true/false, 1/0, yes/no))',
    );
    expect(bad.code).toBe('ERR_INVALID_INPUT');
    configure({ directIo: false });
    expect(getDirectIoSetting({ LONGSHORE_DIRECT_IO: 'on' })).toBe(false);
  });

  it('takes configure() over the environment', () => {
    configure({ tmpRoot: '/var/lib/longshore', logLevel: 'debug' });
    expect(getConfiguration({ LONGSHORE_TMP_ROOT: '/srv/tmp', LONGSHORE_LOG_LEVEL: 'error' })).toMatchObject({
      tmpRoot: '/var/lib/longshore',
      logLevel: 'debug',
    });
    expect(validationErrorOf(() => configure({ tmpRoot: 'here' })).field).toBe('config.tmpRoot');
  });
});
