import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as first from '../index.js';

// A second copy of the package, as a `--tasks` module with its own node_modules would load it.
// It sits under the repository's node_modules so that its own imports (zod, pino...) resolve.
const SRC = fileURLToPath(new URL('..', import.meta.url));
const COPY = path.join(SRC, '..', 'node_modules', '.cache', `longshore-copy-${process.pid}`);

let second: typeof first;

beforeAll(async () => {
  await cp(SRC, path.join(COPY, 'src'), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
  second = (await import(path.join(COPY, 'src', 'index.ts'))) as typeof first;
  // Transforming a second copy of the whole package takes seconds on a busy machine.
}, 60_000);

afterAll(async () => {
  await rm(COPY, { recursive: true, force: true });
});

describe('two copies of longshore in one process', () => {
  it('are really two copies', () => {
    expect(second.Retry).not.toBe(first.Retry);
    expect(second.LongshoreError).not.toBe(first.LongshoreError);
  });

  it('share one task registry', () => {
    expect(second.app).toBe(first.app);
    const task = second.app.task('copies.add', (_ctx, a: number, b: number) => a + b);
    expect(task.name).toBe('copies.add');
    expect(first.app.has('copies.add')).toBe(true);
  });

  it('recognise each other’s errors by class, both ways', () => {
    const retry = new second.Retry({ countdown: 1 });
    expect(retry instanceof first.Retry).toBe(true);
    expect(retry instanceof first.LongshoreError).toBe(true);
    expect(retry instanceof first.TaskCancelledError).toBe(false);

    const invalid = new first.ValidationError('image', '', 'an image name');
    expect(invalid instanceof second.ValidationError).toBe(true);
    expect(invalid instanceof second.LongshoreError).toBe(true);
    expect(invalid instanceof second.DockerEngineError).toBe(false);

    const http = new second.GirderHttpError({ method: 'GET', path: 'file/x', status: 404 });
    expect(http instanceof first.GirderError).toBe(true);
    expect(http instanceof first.GirderHttpError).toBe(true);
    expect(http instanceof first.GirderConfigError).toBe(false);
  });

  it('keeps instanceof exact for everything else', () => {
    expect(new Error('plain') instanceof first.LongshoreError).toBe(false);
    expect({ name: 'Retry' } instanceof first.Retry).toBe(false);
    expect((null as unknown) instanceof first.LongshoreError).toBe(false);
    class Mine extends first.LongshoreError {
      constructor() {
        super('ERR_INVALID_INPUT', 'mine');
      }
    }
    expect(new Mine() instanceof first.LongshoreError).toBe(true);
    expect(new Mine() instanceof first.ValidationError).toBe(false);
  });
});
