import { describe, expect, it } from 'vitest';
import { proxyFor, proxySettingsFromEnv } from './girder-network.js';

describe('proxySettingsFromEnv', () => {
  it('reads the standard variables, lower-case names first, as curl does', () => {
    expect(
      proxySettingsFromEnv({
        HTTP_PROXY: 'http://upper:3128',
        http_proxy: 'http://lower:3128',
        NO_PROXY: 'a, .b ,c:8080',
      }),
    ).toEqual({ httpProxy: 'http://lower:3128', httpsProxy: undefined, noProxy: ['a', '.b', 'c:8080'] });
    expect(proxySettingsFromEnv({ HTTPS_PROXY: '  ' })).toEqual({
      httpProxy: undefined,
      httpsProxy: undefined,
      noProxy: [],
    });
  });
});

describe('proxyFor', () => {
  const settings = {
    httpProxy: 'http://proxy:3128',
    httpsProxy: 'http://tunnel:3128',
    noProxy: ['.internal', 'example.org', '10.0.0.5', 'girder.site:8443', '[::1]'],
  };
  it.each([
    ['http://girder.example.com/api/v1', 'http://proxy:3128'],
    ['https://girder.example.com/api/v1', 'http://tunnel:3128'],
    ['https://a.b.internal/x', undefined],
    ['https://internal/x', undefined],
    ['https://example.org/x', undefined],
    ['https://s3.example.org/x', undefined],
    ['https://notexample.org/x', 'http://tunnel:3128'],
    ['http://10.0.0.5:8080/x', undefined],
    ['http://10.0.0.50/x', 'http://proxy:3128'],
    ['https://girder.site:8443/x', undefined],
    ['https://girder.site/x', 'http://tunnel:3128'],
    ['http://[::1]:8080/x', undefined],
  ])('%s goes through %s', (url, proxy) => {
    expect(proxyFor(new URL(url), settings)).toBe(proxy);
  });
  it('a * in NO_PROXY turns the proxy off for every host', () => {
    expect(proxyFor(new URL('https://anything/'), { ...settings, noProxy: ['*'] })).toBeUndefined();
  });
});
