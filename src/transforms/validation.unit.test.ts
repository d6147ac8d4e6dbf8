import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import {
  BindMountVolume,
  ChunkedTransferEncodingStream,
  Connect,
  HostFile,
  HostStdOut,
  NamedInputPipe,
  NamedOutputPipe,
  ProgressPipe,
  TemporaryVolume,
  VolumePath,
} from './index.js';

/** Runs `make`, expecting a ValidationError naming `field` (and `value` when given). */
function expectInvalid(make: () => unknown, field: string, ...value: [unknown?]): ValidationError {
  let caught: unknown;
  try {
    make();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect(error.field).toBe(field);
  expect(error.code).toBe('ERR_INVALID_INPUT');
  if (value.length > 0) expect(error.value).toBe(value[0]);
  return error;
}

describe('constructor validation', () => {
  it('BindMountVolume wants absolute paths and ro/rw', () => {
    const host = expectInvalid(() => new BindMountVolume('data', '/mnt/data'), 'hostPath', 'data');
    expect(host.message).toContain('"data"');
    expectInvalid(() => new BindMountVolume('/data', 'mnt/data'), 'containerPath', 'mnt/data');
    expectInvalid(() => new BindMountVolume('/data', '/'), 'containerPath', '/');
    expectInvalid(() => new BindMountVolume('/data', '/mnt', 'rwx' as 'rw'), 'mode', 'rwx');
    const ok = new BindMountVolume('/data/', '/mnt/data/', 'ro');
    expect(ok.containerPath).toBe('/mnt/data/');
    expect(ok.mode).toBe('ro');
    expect(new BindMountVolume('/data', '/mnt/data').mode).toBe('rw');
  });

  it('TemporaryVolume wants an absolute host dir and permission bits', () => {
    expectInvalid(() => new TemporaryVolume('relative/dir'), 'hostDir', 'relative/dir');
    expectInvalid(() => new TemporaryVolume('/tmp/x', 0o10000), 'mode', 0o10000);
    expectInvalid(() => new TemporaryVolume('/tmp/x', 1.5), 'mode', 1.5);
    expect(new TemporaryVolume().hostDir).toBeUndefined();
    expect(new TemporaryVolume('/tmp/x').mode).toBe(0o755);
  });

  it('VolumePath refuses absolute, empty and escaping file names', () => {
    expectInvalid(() => new VolumePath('/etc/passwd'), 'filename', '/etc/passwd');
    expectInvalid(() => new VolumePath(''), 'filename', '');
    expectInvalid(() => new VolumePath('..'), 'filename', '..');
    expectInvalid(() => new VolumePath('../x'), 'filename', '../x');
    expectInvalid(() => new VolumePath('a/../../x'), 'filename', 'a/../../x');
    expectInvalid(() => new VolumePath('x', {} as TemporaryVolume), 'volume');
    expect(new VolumePath('a/../b').filename).toBe('a/../b');
    expect(new VolumePath('out/result.txt').volume).toBe(TemporaryVolume.default);
  });

  it('named pipes want a plain file name and both directories or neither', () => {
    for (const name of ['', '.', '..', 'a/b', '/abs']) {
      expectInvalid(() => new NamedInputPipe(name), 'name', name);
      expectInvalid(() => new NamedOutputPipe(name), 'name', name);
    }
    expectInvalid(() => new NamedInputPipe('p', '/mnt/pipes'), 'hostPath', undefined);
    expectInvalid(() => new NamedOutputPipe('p', undefined, '/tmp/pipes'), 'containerPath', undefined);
    expectInvalid(() => new NamedOutputPipe('p', 'mnt/pipes', '/tmp/pipes'), 'containerPath', 'mnt/pipes');
    expectInvalid(() => new NamedOutputPipe('p', '/mnt/pipes', 'tmp/pipes'), 'hostPath', 'tmp/pipes');
    expectInvalid(() => new ProgressPipe('a/b'), 'name', 'a/b');
  });

  it('HostFile wants an absolute path', () => {
    expectInvalid(() => new HostFile('out.txt'), 'path', 'out.txt');
    expect(new HostFile('/tmp/out.txt').path).toBe('/tmp/out.txt');
  });

  it('ChunkedTransferEncodingStream wants an http(s) URL and string headers, and hides secrets', () => {
    expectInvalid(() => new ChunkedTransferEncodingStream('not a url'), 'url', 'not a url');
    expectInvalid(
      () => new ChunkedTransferEncodingStream('ftp://example.com/x'),
      'url',
      'ftp://example.com/x',
    );
    expectInvalid(
      () => new ChunkedTransferEncodingStream('http://example.com/', { 'Bad Header': 'x' }),
      'headers',
      'Bad Header',
    );
    expectInvalid(
      () => new ChunkedTransferEncodingStream('http://example.com/', { 'X-Count': 3 as unknown as string }),
      'headers.X-Count',
      3,
    );
    const injected = expectInvalid(
      () =>
        new ChunkedTransferEncodingStream('http://example.com/', { Authorization: 'Bearer s3cret\r\nX: y' }),
      'headers.Authorization',
    );
    expect(injected.message).not.toContain('s3cret');
    const sink = new ChunkedTransferEncodingStream('https://example.com/upload?token=abcdef123', {
      'Girder-Token': 'abcdef123',
    });
    expect(sink.describe()).toBe('HTTP POST https://example.com/upload');
  });

  it('Connect accepts sources and sinks only', () => {
    expectInvalid(() => new Connect('a string' as never, new HostStdOut()), 'input', 'a string');
    expectInvalid(() => new Connect(new NamedInputPipe('in') as never, new HostStdOut()), 'input');
    expectInvalid(() => new Connect(new NamedOutputPipe('out'), 42 as never), 'output', 42);
    expectInvalid(() => new Connect(new NamedOutputPipe('out'), new NamedOutputPipe('x') as never), 'output');
    expectInvalid(() => new Connect(Readable.from([]), Readable.from([]) as never), 'output');
    expect(new Connect(Readable.from(['x']), new NamedInputPipe('in'))).toBeInstanceOf(Connect);
  });
});
