import { describe, expect, it } from 'vitest';
import { urlAllowed } from './url-rules.js';

const GIRDER = ['http://girder.example/api/v1'];

describe('URL prefixes', () => {
  it('allows the prefix itself and paths below it', () => {
    expect(urlAllowed('http://girder.example/api/v1', GIRDER)).toBe(true);
    expect(urlAllowed('http://girder.example/api/v1/file/abc/content?x=1', GIRDER)).toBe(true);
    expect(urlAllowed('http://girder.example/api/v1', ['http://girder.example/api/v1/'])).toBe(true);
    expect(urlAllowed('http://girder.example/', ['http://girder.example'])).toBe(true);
  });

  it('refuses credentials that make the prefix a user name', () => {
    expect(urlAllowed('http://girder.example/api/v1@evil.example/', GIRDER)).toBe(false);
    expect(urlAllowed('http://user:pw@girder.example/api/v1/file', GIRDER)).toBe(false);
  });

  it('refuses another host, port or scheme, and look-alike hosts and paths', () => {
    expect(urlAllowed('http://evil.example/api/v1/file', GIRDER)).toBe(false);
    expect(urlAllowed('http://girder.example:8080/api/v1/file', GIRDER)).toBe(false);
    expect(urlAllowed('https://girder.example/api/v1/file', GIRDER)).toBe(false);
    expect(urlAllowed('http://girder.example.evil.example/api/v1/', GIRDER)).toBe(false);
    expect(urlAllowed('http://girder.example/api/v10/file', GIRDER)).toBe(false);
  });

  it('resolves .. and %2e%2e before comparing', () => {
    expect(urlAllowed('http://girder.example/api/v1/../../admin', GIRDER)).toBe(false);
    expect(urlAllowed('http://girder.example/api/v1/%2e%2e/%2E%2E/admin', GIRDER)).toBe(false);
  });

  it('refuses everything with no prefix, and what is no URL', () => {
    expect(urlAllowed('http://girder.example/api/v1', [])).toBe(false);
    expect(urlAllowed('not a url', GIRDER)).toBe(false);
  });
});
