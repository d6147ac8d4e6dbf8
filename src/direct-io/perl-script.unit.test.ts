import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { perlScript, type PerlScript } from './perl-script.js';

const SCRIPTS: PerlScript[] = ['feeder', 'splice', 'grow-pipe'];

describe('the perl scripts', () => {
  it('are every file in scripts/, each found where perlScript says', () => {
    const dir = new URL('./scripts/', import.meta.url);
    expect(fs.readdirSync(dir).sort()).toEqual(SCRIPTS.map((name) => `${name}.pl`).sort());
    for (const name of SCRIPTS) expect(fs.existsSync(perlScript(name))).toBe(true);
  });

  it.each(SCRIPTS)('%s compiles without a warning (perl -cw)', (name) => {
    const result = spawnSync('perl', ['-cw', perlScript(name)], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr.trim()).toBe(`${perlScript(name)} syntax OK`);
  });
});
