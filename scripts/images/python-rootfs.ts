// The files of the longshore/python test image: the host's Debian python3 (the interpreter, its
// shared libraries and its standard library), read from the host at build time, since nothing can
// be downloaded here. Only what scripts in a container plausibly use: no test suites, no caches,
// no third-party packages, no tools that need what the image lacks (IDLE, Tk, pip, venv).
import { execFileSync, type ExecFileSyncOptionsWithStringEncoding } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readElf } from './elf.js';
import { hostFile, withParentDirectories, type RootfsEntry } from './rootfs.js';
import { sharedLibraries, sharedLibraryEntries } from './shared-libraries.js';

/** The system python3 (Debian's python3-minimal), not a pyenv or venv python3 earlier on PATH. */
export const HOST_PYTHON = '/usr/bin/python3';

const SKIPPED_DIRECTORIES = new Set([
  '__pycache__',
  'test',
  'tests',
  'idlelib',
  'tkinter',
  'turtledemo',
  'ensurepip',
  'venv',
  'lib2to3',
  'distutils',
  'pydoc_data',
  'site-packages',
  'dist-packages',
]);

/** Directories of the standard library the image leaves out, besides those above. */
function skippedDirectory(name: string): boolean {
  // config-3.11-x86_64-linux-gnu holds the static libpython and Makefile for building extensions.
  return SKIPPED_DIRECTORIES.has(name) || name.startsWith('config-');
}

const MISSING_PYTHON = `this image is made of the host's Debian python3 (${HOST_PYTHON} with its standard library), which is missing here.
  Install it (sudo apt-get install -y python3), or run bash scripts/setup.sh as root, which installs it`;

export function pythonRootfs(): RootfsEntry[] {
  if (!existsSync(HOST_PYTHON)) throw new Error(MISSING_PYTHON);
  const interpreter = realpathSync(HOST_PYTHON);
  const stdlib = standardLibraryDirectory(interpreter);
  // json is in libpython3.x-stdlib, which python3-minimal alone does not pull in.
  if (!existsSync(join(stdlib, 'json', '__init__.py'))) throw new Error(MISSING_PYTHON);

  const libraries = sharedLibraries(interpreter);
  const entries: RootfsEntry[] = [hostFile(interpreter)];
  if (basename(interpreter) !== 'python3') {
    const link = join(dirname(interpreter), 'python3').slice(1);
    entries.push({ path: link, type: 'symlink', mode: 0o777, target: basename(interpreter) });
  }
  entries.push(
    ...sharedLibraryEntries(libraries),
    ...standardLibrary(stdlib, new Set(libraries.libraries.keys())),
  );
  return withParentDirectories(entries);
}

/** Where the interpreter has its standard library (/usr/lib/python3.11), as it says itself. */
function standardLibraryDirectory(interpreter: string): string {
  const script = 'import sysconfig; print(sysconfig.get_path("stdlib"))';
  try {
    const options: ExecFileSyncOptionsWithStringEncoding = { encoding: 'utf8', stdio: 'pipe' };
    return execFileSync(interpreter, ['-I', '-S', '-c', script], options).trim();
  } catch (err) {
    const lines = String((err as { stderr?: unknown }).stderr ?? err).split('\n');
    const reason = lines.findLast((line) => /Error/.test(line)) ?? lines.findLast((line) => line.trim());
    const detail = `${interpreter} does not start: ${reason?.trim() ?? 'no message'}`;
    throw new Error(`${MISSING_PYTHON}\n  (${detail})`, { cause: err });
  }
}

/** The standard library's files, sorted, as entries at their host paths. */
function standardLibrary(root: string, interpreterLibraries: ReadonlySet<string>): RootfsEntry[] {
  const entries: RootfsEntry[] = [{ path: root.slice(1), type: 'directory', mode: 0o755 }];
  const walk = (dir: string): void => {
    // Sorted by code unit, as Array#sort does for strings: the layer must not depend on the locale.
    const children = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const child of children) {
      const path = join(dir, child.name);
      if (child.isDirectory()) {
        if (skippedDirectory(child.name)) continue;
        entries.push({ path: path.slice(1), type: 'directory', mode: 0o755 });
        if (child.name === 'lib-dynload') entries.push(...extensionModules(path, interpreterLibraries));
        else walk(path);
      } else if (child.isSymbolicLink()) {
        // Keep links within a directory (_sysconfigdata); drop those out of the tree (Debian's
        // sitecustomize.py → /etc, an apport hook the image has no use for).
        const target = readlinkSync(path);
        if (!target.includes('/'))
          entries.push({ path: path.slice(1), type: 'symlink', mode: 0o777, target });
      } else if (child.isFile() && !child.name.endsWith('.pyc')) {
        entries.push(hostFile(path));
      }
    }
  };
  walk(root);
  return entries;
}

/**
 * The C extension modules that need no shared library beyond the interpreter's own (_json,
 * _decimal, the CJK codecs, ...). Those that would need more (_ssl, _sqlite3, _ctypes, readline)
 * are left out rather than carried without their libraries; test modules are left out too.
 */
function extensionModules(dir: string, interpreterLibraries: ReadonlySet<string>): RootfsEntry[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.so') && !name.includes('test') && !name.startsWith('xx'))
    .sort()
    .filter((name) => {
      const path = join(dir, name);
      return readElf(readFileSync(path), path).needed.every((soname) => interpreterLibraries.has(soname));
    })
    .map((name) => hostFile(join(dir, name)));
}
