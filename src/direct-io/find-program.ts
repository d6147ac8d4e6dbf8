import fs from 'node:fs';
import path from 'node:path';

const found = new Map<string, Promise<string | undefined>>();

/** The first executable `name` on the PATH, looked up once per name; undefined when there is none. */
export function findProgram(name: string): Promise<string | undefined> {
  let lookup = found.get(name);
  if (!lookup) {
    lookup = (async () => {
      for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
        const candidate = path.join(dir || '.', name);
        try {
          await fs.promises.access(candidate, fs.constants.X_OK);
          return path.resolve(candidate);
        } catch {
          // not here
        }
      }
      return undefined;
    })();
    found.set(name, lookup);
  }
  return lookup;
}
