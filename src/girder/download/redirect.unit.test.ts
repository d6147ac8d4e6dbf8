import { describe, expect, it } from 'vitest';
import { GirderTransferError } from '../errors.js';
import { girderErrorBody } from '../http/girder-answer.js';
import { redirectTarget, sameOrigin } from './redirect.js';

const FROM = 'https://girder.site/api/v1/file/abc/download';

describe('redirectTarget', () => {
  it('resolves absolute and relative Locations against the URL that answered', () => {
    expect(redirectTarget('https://s3.site/bucket/k?X-Amz-Signature=s', FROM, 'download file abc').href).toBe(
      'https://s3.site/bucket/k?X-Amz-Signature=s',
    );
    expect(redirectTarget('/api/v1/file/abc/proxy', FROM, 'download file abc').href).toBe(
      'https://girder.site/api/v1/file/abc/proxy',
    );
  });
  it.each([
    [undefined, /without a Location/],
    ['  ', /without a Location/],
    ['ftp://files.site/x', /a ftp: URL, not http\(s\)/],
    ['javascript:alert(1)', /a javascript: URL, not http\(s\)/],
    ['https://', /without a host/],
    ['http:///path', /without a host/],
    ['http://[bad/x', /not a URL/],
  ])('refuses %s', (location, message) => {
    const error = (() => {
      try {
        redirectTarget(location, FROM, 'download file abc');
      } catch (e) {
        return e;
      }
    })() as Error;
    expect(error).toBeInstanceOf(GirderTransferError);
    expect(error.message).toMatch(/^Could not download file abc: /);
    expect(error.message).toMatch(message);
  });
});

describe('sameOrigin', () => {
  it('holds for scheme, host and port together only', () => {
    expect(sameOrigin('https://g.site/a', 'https://g.site:443/b')).toBe(true);
    expect(sameOrigin('https://g.site/a', 'http://g.site/a')).toBe(false);
    expect(sameOrigin('https://g.site/a', 'https://s3.g.site/a')).toBe(false);
    expect(sameOrigin('https://g.site/a', 'https://g.site:8443/a')).toBe(false);
  });
});

describe("an object store's XML error", () => {
  it('is read as its code and message, never the signature it echoes', () => {
    const body =
      '<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>The signature does not match.</Message>' +
      '<StringToSign>AWS4-HMAC-SHA256 secret</StringToSign><SignatureProvided>deadbeef</SignatureProvided></Error>';
    expect(girderErrorBody(body)).toEqual({
      message: 'SignatureDoesNotMatch: The signature does not match.',
    });
  });
});
