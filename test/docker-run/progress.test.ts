// ProgressPipe against a real container: progress events in order, an unterminated last line, and
// lines that are not progress.
import { describe, expect, it } from 'vitest';
import { ProgressPipe, TemporaryVolume, dockerRun } from '../../src/index.js';
import { BUSYBOX, CONFORMANCE } from '../helpers/docker.js';
import { useLeakChecks } from '../helpers/leaks.js';
import { watch } from '../helpers/task.js';

useLeakChecks();

const PROGRESSIONS = [
  { message: 'starting', total: 3, current: 0 },
  { current: 1, total: 3 },
  { current: 2, total: 3, message: 'almost, {with braces}, "quotes"' },
  { current: 3, total: 3, message: 'done' },
];

describe('ProgressPipe', () => {
  it('reports each line as a progress event, in order', async () => {
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: ['progress', '-p', new ProgressPipe(), '--progressions', JSON.stringify(PROGRESSIONS)],
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.progress).toEqual(PROGRESSIONS);
    expect(seen.warnings).toEqual([]);
  });

  it('counts a last line without a newline', async () => {
    const handle = dockerRun.delay(CONFORMANCE, {
      containerArgs: [
        'progress',
        '-p',
        new ProgressPipe(),
        '--progressions',
        JSON.stringify(PROGRESSIONS),
        '--no-final-newline',
      ],
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.progress).toEqual(PROGRESSIONS);
  });

  it('warns about a malformed line, skips it, and the task still succeeds', async () => {
    const lines = [
      '{"current": 1, "total": 2}',
      'this is not json',
      '{"current": "two"}',
      '{"current": 2, "total": 2}',
    ];
    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: [
        'sh',
        '-c',
        'shift; printf "%s\\n" "$@" > "$0"',
        new ProgressPipe(),
        'unused',
        ...lines,
      ],
    });
    const seen = watch(handle);
    const result = await handle.get();
    expect(result.exitCode).toBe(0);
    expect(seen.progress).toEqual([
      { current: 1, total: 2 },
      { current: 2, total: 2 },
    ]);
    expect(seen.warnings).toHaveLength(2);
    expect(seen.warnings[0]).toContain('this is not json');
    expect(seen.warnings[1]).toContain('"two"');
    expect(seen.statuses).toEqual(['STARTED', 'SUCCESS']);
  });

  it('a container that never writes its progress pipe does not hang the task', async () => {
    const started = Date.now();
    const handle = dockerRun.delay(CONFORMANCE, { containerArgs: ['ignore-pipe', '-p', new ProgressPipe()] });
    const seen = watch(handle);
    await handle.get({ timeout: 20_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(seen.progress).toEqual([]);
  });

  it('lives in the given volume under the given name', async () => {
    const handle = dockerRun.delay(BUSYBOX, {
      containerArgs: [
        'sh',
        '-c',
        'echo "$0"; echo \'{"message":"custom"}\' > "$0"',
        new ProgressPipe('my-progress', new TemporaryVolume()),
      ],
    });
    const seen = watch(handle);
    await handle.get();
    expect(seen.stdout).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\/my-progress\n$/);
    expect(seen.progress).toEqual([{ message: 'custom' }]);
  });
});
