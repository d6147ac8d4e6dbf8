import { readFileSync } from 'node:fs';
import { type as osType } from 'node:os';

/** What a worker says it runs (Celery's `SOFTWARE_INFO`: sw_ident, sw_ver, sw_sys). */
export interface SoftwareInfo {
  sw_ident: string;
  sw_ver: string;
  sw_sys: string;
}

let cached: SoftwareInfo | undefined;

/** `{sw_ident: 'longshore', sw_ver: <package version>, sw_sys: 'Linux'}`. */
export function softwareInfo(): SoftwareInfo {
  cached ??= { sw_ident: 'longshore', sw_ver: packageVersion(), sw_sys: osType() };
  return cached;
}

function packageVersion(): string {
  try {
    // src/celery/events/ and dist/celery/events/ both sit three levels below the package root.
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
