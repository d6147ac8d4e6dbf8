import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  Connect,
  HostFile,
  NamedInputPipe,
  NamedOutputPipe,
  ProgressPipe,
  TemporaryVolume,
  VolumePath,
  type StreamSink,
} from '../../src/index.js';
import { UsageError } from '../../src/cli/args.js';
import {
  buildContainerArgs,
  inputFiles,
  outputFiles,
  parseArg,
  parseContainerArgs,
} from '../../src/cli/placeholders.js';

const stdout: StreamSink = { openSink: () => Promise.resolve(null), describe: () => 'test stdout' };

describe('parseArg', () => {
  it('leaves ordinary arguments alone', () => {
    for (const arg of [
      'hello',
      '-m',
      '',
      '{}',
      '{"a":1}',
      '[{"current":1}]',
      '{{.Name}}',
      '{a,b}',
      '{ tmp }',
    ]) {
      expect(parseArg(arg)).toEqual({ kind: 'literal', value: arg });
    }
  });

  it('reads every placeholder', () => {
    expect(parseArg('{tmp}')).toEqual({ kind: 'tmp' });
    expect(parseArg('{tmp:out/x.txt}')).toEqual({ kind: 'tmp-path', name: 'out/x.txt' });
    expect(parseArg('{in:/data/x.csv}')).toEqual({ kind: 'in', hostPath: '/data/x.csv' });
    expect(parseArg('{in:-}')).toEqual({ kind: 'in-stdin' });
    expect(parseArg('{out:/data/y.csv}')).toEqual({ kind: 'out', hostPath: '/data/y.csv' });
    expect(parseArg('{out:-}')).toEqual({ kind: 'out-stdout' });
    expect(parseArg('{progress}')).toEqual({ kind: 'progress' });
  });

  it('makes relative host files absolute against the working directory', () => {
    expect(parseArg('{in:x.csv}', '/work')).toEqual({ kind: 'in', hostPath: '/work/x.csv' });
    expect(parseArg('{out:../y.csv}', '/work/sub')).toEqual({ kind: 'out', hostPath: '/work/y.csv' });
  });

  it('keeps host paths holding colons and braces', () => {
    expect(parseArg('{in:/a:b/c}d}')).toEqual({ kind: 'in', hostPath: '/a:b/c}d' });
  });

  it('unescapes {{...}} to a literal placeholder text, one pair of braces at a time', () => {
    expect(parseArg('{{tmp}}')).toEqual({ kind: 'literal', value: '{tmp}' });
    expect(parseArg('{{in:/x}}')).toEqual({ kind: 'literal', value: '{in:/x}' });
    expect(parseArg('{{{tmp}}}')).toEqual({ kind: 'literal', value: '{{tmp}}' });
    expect(parseArg('{{nope}}')).toEqual({ kind: 'literal', value: '{nope}' });
  });

  it('rejects unknown and malformed placeholders with a usage error', () => {
    for (const arg of [
      '{tmpp}',
      '{in}',
      '{in:}',
      '{out}',
      '{progress:x}',
      '{tmp:}',
      '{tmp:/abs}',
      '{tmp:../up}',
    ]) {
      expect(() => parseArg(arg), arg).toThrow(UsageError);
    }
    expect(() => parseArg('{tmpp}')).toThrow(/unknown placeholder '\{tmpp\}'.*'\{\{tmpp\}\}'/);
  });

  it('only whole arguments are placeholders', () => {
    expect(parseArg('--in={in:/x}')).toEqual({ kind: 'literal', value: '--in={in:/x}' });
    expect(parseArg('{tmp}/x')).toEqual({ kind: 'literal', value: '{tmp}/x' });
  });
});

describe('parseContainerArgs', () => {
  it('allows {in:-} only once', () => {
    expect(() => parseContainerArgs(['{in:-}', '{in:-}'])).toThrow(/only once/);
  });

  it('lists the host files to read and write', () => {
    const specs = parseContainerArgs(['{in:/a}', 'x', '{out:/b}', '{in:/c}', '{out:-}'], '/');
    expect(inputFiles(specs)).toEqual(['/a', '/c']);
    expect(outputFiles(specs)).toEqual(['/b']);
  });
});

describe('buildContainerArgs', () => {
  it('turns placeholders into transforms', () => {
    const specs = parseContainerArgs(
      ['run', '{tmp}', '{tmp:x}', '{in:/i}', '{out:/o}', '{out:-}', '{progress}', '{progress}', '{{tmp}}'],
      '/',
    );
    const args = buildContainerArgs(specs, { stdout });
    expect(args[0]).toBe('run');
    expect(args[1]).toBe(TemporaryVolume.default);
    expect(args[2]).toBeInstanceOf(VolumePath);
    expect((args[2] as VolumePath).filename).toBe('x');

    const input = args[3] as Connect;
    expect(input).toBeInstanceOf(Connect);
    expect(input.input).toBeInstanceOf(HostFile);
    expect((input.input as HostFile).path).toBe('/i');
    expect(input.output).toBeInstanceOf(NamedInputPipe);

    const output = args[4] as Connect;
    expect(output.input).toBeInstanceOf(NamedOutputPipe);
    expect((output.output as HostFile).path).toBe('/o');

    const toStdout = args[5] as Connect;
    expect(toStdout.input).toBeInstanceOf(NamedOutputPipe);
    expect(toStdout.output).toBe(stdout);

    expect(args[6]).toBeInstanceOf(ProgressPipe);
    expect(args[7]).toBe(args[6]);
    expect(args[8]).toBe('{tmp}');

    const names = [input.output, output.input, toStdout.input].map((p) => (p as NamedInputPipe).name);
    expect(new Set(names).size).toBe(3);
  });

  it('feeds {in:-} from the given stdin', () => {
    const stdin = new PassThrough();
    const [arg] = buildContainerArgs(parseContainerArgs(['{in:-}']), { stdout, stdin: () => stdin });
    expect((arg as Connect).input).toBe(stdin);
    expect((arg as Connect).output).toBeInstanceOf(NamedInputPipe);
  });
});
