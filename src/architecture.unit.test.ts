// The layout the README's table describes, checked: each folder under src/ imports only the
// folders below it, and each outside dependency has one home.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('.', import.meta.url));

/** Lowest first: a folder may import itself and those before it. `.` is src/index.ts. */
const LAYERS = [
  'core',
  'config',
  'direct-io',
  'streams',
  'girder',
  'execution',
  'transforms',
  'docker',
  'girder-worker',
  'celery',
  'app',
  'docker-run',
  'worker',
  'monitor',
  '.',
  'cli',
];

/** Each of these packages is imported by one file only. */
const HOMES: Record<string, string> = {
  dockerode: 'docker/engine.ts',
  amqplib: 'celery/amqp/connection.ts',
  axios: 'girder/http/girder-http.ts',
  pino: 'core/logger.ts',
  'sql.js': 'monitor/task-store.ts',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'web' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'/g)].map((m) => m[1]!);
}

function folderOf(file: string): string {
  const relative = path.relative(SRC, file).split(path.sep);
  return relative.length === 1 ? '.' : relative[0]!;
}

const files = sourceFiles(SRC);

describe('the source layout', () => {
  it('names every folder in the layers', () => {
    const folders = new Set(files.map(folderOf));
    expect([...folders].filter((folder) => !LAYERS.includes(folder))).toEqual([]);
  });

  it('has no import from a folder to one above it (so no cycle between folders)', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = folderOf(file);
      for (const specifier of imports(file)) {
        if (!specifier.startsWith('.')) continue;
        const to = folderOf(path.resolve(path.dirname(file), specifier));
        if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) {
          upward.push(`${path.relative(SRC, file)} imports ${specifier} (${from} -> ${to})`);
        }
      }
    }
    expect(upward).toEqual([]);
  });

  it('talks to each outside dependency from one module', () => {
    const users: Record<string, string[]> = {};
    for (const file of files) {
      for (const specifier of new Set(imports(file))) {
        if (specifier in HOMES) (users[specifier] ??= []).push(path.relative(SRC, file));
      }
    }
    expect(users).toEqual(Object.fromEntries(Object.entries(HOMES).map(([pkg, home]) => [pkg, [home]])));
  });

  it('moves bytes outside Node (child processes) from direct-io/ only', () => {
    const spawners = files
      .filter((file) => imports(file).includes('node:child_process'))
      .map((file) => path.relative(SRC, file))
      .filter((file) => !file.startsWith(`direct-io${path.sep}`));
    // mkfifo(1) makes a FIFO and moves no byte: Node has no mkfifo.
    expect(spawners).toEqual([path.join('streams', 'make-fifo.ts')]);
  });

  it('leaves process.env to the configuration module (and the CLI, which passes it on)', () => {
    const readers = files
      .filter((file) => /process\.env\b/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file))
      .filter((file) => !file.startsWith(`cli${path.sep}`));
    expect(readers.sort()).toEqual([
      'config/configuration.ts',
      'direct-io/find-program.ts',
      'monitor/task-store.ts',
    ]);
  });
});
