import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { LocalTaskContext } from '../execution/local-task-context.js';
import { HostStdOut, Transform, VolumePath, resolveArgs, toContainerArgs } from './index.js';

/** A transform that does not memoize itself and records when it resolves. */
class Recording extends Transform {
  constructor(
    readonly label: string,
    readonly log: string[],
    readonly delayMs = 0,
  ) {
    super();
  }

  override async resolve(): Promise<string> {
    this.log.push(`start ${this.label}`);
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.log.push(`end ${this.label}`);
    return `<${this.label}>`;
  }
}

describe('resolveArgs', () => {
  // No transform here touches the file system.
  const ctx = new LocalTaskContext({ tempRoot: '/nonexistent' });

  it('replaces transforms at any depth, in argument order, one at a time, and each object once', async () => {
    const log: string[] = [];
    const slow = new Recording('slow', log, 20);
    const fast = new Recording('fast', log);
    const args = ['--in', slow, { opts: [fast, { again: slow }], n: 3, none: null }, fast, true];
    const resolved = await resolveArgs(args, ctx);
    expect(resolved).toEqual([
      '--in',
      '<slow>',
      { opts: ['<fast>', { again: '<slow>' }], n: 3, none: null },
      '<fast>',
      true,
    ]);
    expect(log).toEqual(['start slow', 'end slow', 'start fast', 'end fast']);
    // The input is left alone.
    expect(args[1]).toBe(slow);
  });

  it('keeps other values, class instances included, and "__proto__" keys as data', async () => {
    const date = new Date(0);
    const input = JSON.parse('{"__proto__": {"polluted": true}, "when": 1}') as Record<string, unknown>;
    input.date = date;
    const out = (await resolveArgs(input, ctx)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'when', 'date']);
    expect(out.date).toBe(date);
    expect(await resolveArgs('plain', ctx)).toBe('plain');
    expect(await resolveArgs(undefined, ctx)).toBeUndefined();
  });

  it('refuses cyclic arguments', async () => {
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    await expect(resolveArgs(cyclic, ctx)).rejects.toBeInstanceOf(ValidationError);
    // Shared (not cyclic) structures are fine.
    const shared = { a: 1 };
    expect(await resolveArgs([shared, shared], ctx)).toEqual([{ a: 1 }, { a: 1 }]);
  });

  it('resolves a VolumePath on the task default volume', async () => {
    const real = new LocalTaskContext();
    try {
      const [p] = (await resolveArgs([new VolumePath('x')], real)) as [string];
      expect(p).toMatch(/^\/mnt\/girder_worker\/[0-9a-f]{32}\/x$/);
    } finally {
      await real.dispose();
    }
  });
});

describe('toContainerArgs', () => {
  it('turns resolved values into strings', () => {
    expect(
      toContainerArgs([
        'a b',
        '',
        3,
        1.5,
        -0,
        true,
        false,
        10n,
        null,
        undefined,
        [1, 'x'],
        { k: 'v', n: null },
      ]),
    ).toEqual(['a b', '', '3', '1.5', '0', 'true', 'false', '10', '', '', '[1,"x"]', '{"k":"v","n":null}']);
  });

  it('refuses what cannot be an argument, naming its position', () => {
    const cases: [unknown, string][] = [
      [() => 1, 'container_args[1]'],
      [Symbol('s'), 'container_args[1]'],
      ['nul\0byte', 'container_args[1]'],
      [{ big: 1n }, 'container_args[1]'],
      [new VolumePath('unresolved'), 'container_args[1]'],
      [new HostStdOut(), 'container_args[1]'],
    ];
    for (const [value, field] of cases) {
      let caught: unknown;
      try {
        toContainerArgs(['ok', value]);
      } catch (error) {
        caught = error;
      }
      expect(caught, String(field)).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).field).toBe(field);
    }
  });
});
