import { describe, expect, it } from 'vitest';
import { BindMountVolume } from '../../src/index.js';
import { UsageError, parseCommandLine, type OptionTable } from '../../src/cli/args.js';
import { parseRunArgs } from '../../src/cli/run-command.js';

const TABLE: OptionTable = {
  volume: { type: 'string', short: 'v', multiple: true, description: '' },
  name: { type: 'string', description: '' },
  quiet: { type: 'boolean', short: 'q', description: '' },
};

describe('parseCommandLine', () => {
  it('stops at the first positional when asked', () => {
    const parsed = parseCommandLine(['-v', 'a', '--name=n', 'IMG', '-m', '--name', 'x'], TABLE, {
      stopAtPositional: true,
    });
    expect(parsed.values).toMatchObject({ volume: ['a'], name: 'n' });
    expect(parsed.positionals).toEqual(['IMG', '-m', '--name', 'x']);
  });

  it('takes values that start with a dash, attached short values and grouped flags', () => {
    const parsed = parseCommandLine(['--name', '-x', '-qv/a:/b', '--', '-IMG'], TABLE, {
      stopAtPositional: true,
    });
    expect(parsed.values).toMatchObject({ name: '-x', quiet: true, volume: ['/a:/b'] });
    expect(parsed.positionals).toEqual(['-IMG']);
  });

  it('names the bad word', () => {
    expect(() => parseCommandLine(['--frob'], TABLE)).toThrow(new UsageError("unknown option '--frob'"));
    expect(() => parseCommandLine(['-x'], TABLE)).toThrow(new UsageError("unknown option '-x'"));
    expect(() => parseCommandLine(['-qx'], TABLE)).toThrow(new UsageError("unknown option '-x' (in '-qx')"));
    expect(() => parseCommandLine(['--name'], TABLE)).toThrow(
      new UsageError("option '--name' needs a value"),
    );
    expect(() => parseCommandLine(['--quiet=yes'], TABLE)).toThrow(/takes no value/);
  });
});

describe('parseRunArgs', () => {
  it('maps options onto dockerRun options', () => {
    const run = parseRunArgs(
      [
        '-v',
        '/data:/in:ro',
        '--volume=/tmp:/out',
        '-e',
        'A=1',
        '-e',
        'HOME_VAR',
        '-e',
        'UNSET_VAR',
        '--pull',
        'never',
        '--entrypoint',
        'sh',
        '-w',
        '/work',
        '-u',
        '1000:1000',
        '--network',
        'none',
        '--gpus',
        'device=0,1',
        '--memory',
        '512m',
        '--cpus',
        '1.5',
        '--shm-size',
        '1g',
        '--name',
        'n1',
        '--keep',
        '--stop-timeout',
        '3',
        '-q',
        '--json',
        'img:tag',
        '-m',
        '{tmp}',
      ],
      { HOME_VAR: 'from-host' },
      '/',
    );
    expect(run).toBeDefined();
    const { options, image, args, quiet, json } = run!;
    expect(image).toBe('img:tag');
    expect(args).toEqual([{ kind: 'literal', value: '-m' }, { kind: 'tmp' }]);
    expect(quiet && json).toBe(true);
    const volumes = options.volumes as BindMountVolume[];
    expect(volumes.map((v) => [v.hostPath, v.containerPath, v.mode])).toEqual([
      ['/data', '/in', 'ro'],
      ['/tmp', '/out', 'rw'],
    ]);
    const { volumes: _volumes, ...rest } = options;
    expect(rest).toEqual({
      environment: ['A=1', 'HOME_VAR=from-host'],
      pullImage: false,
      entrypoint: 'sh',
      workingDir: '/work',
      user: '1000:1000',
      network: 'none',
      gpus: ['0', '1'],
      memory: '512m',
      cpus: 1.5,
      shmSize: '1g',
      name: 'n1',
      removeContainer: false,
      stopTimeout: 3,
    });
  });

  it('maps --pull and --gpus', () => {
    const pull = (p: string) => parseRunArgs(['--pull', p, 'img'], {}, '/')!.options.pullImage;
    expect([pull('always'), pull('never'), pull('missing')]).toEqual([true, false, 'ifNotPresent']);
    const gpus = (g: string) => parseRunArgs(['--gpus', g, 'img'], {}, '/')!.options.gpus;
    expect([gpus('all'), gpus('2')]).toEqual(['all', 2]);
  });

  it('returns undefined for --help', () => {
    expect(parseRunArgs(['--help'])).toBeUndefined();
    expect(parseRunArgs(['img', '--help'])?.args).toEqual([{ kind: 'literal', value: '--help' }]);
  });

  it('rejects bad values as usage errors', () => {
    for (const argv of [
      [],
      ['--pull', 'sometimes', 'img'],
      ['--gpus', 'many', 'img'],
      ['--memory', 'lots', 'img'],
      ['--cpus', '0', 'img'],
      ['--cpus', 'x', 'img'],
      ['--stop-timeout', '-1', 'img'],
      ['-v', 'relative:/x', 'img'],
      ['-v', '/a:/b:rx', 'img'],
      ['-v', '/a:/', 'img'],
      ['-e', '=x', 'img'],
      ['-w', 'relative', 'img'],
      ['img', '{nope}'],
    ]) {
      expect(() => parseRunArgs(argv, {}, '/'), argv.join(' ')).toThrow(UsageError);
    }
  });
});
