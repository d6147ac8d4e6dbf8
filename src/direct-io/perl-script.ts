import { fileURLToPath } from 'node:url';

export type PerlScript = 'feeder' | 'splice' | 'grow-pipe';

/**
 * The path of one of the perl programs in scripts/, for `perl PATH ARGS`. Real files rather than
 * `-e` strings, so that `perl -c` checks them at lint time; the build copies scripts/ beside the
 * compiled modules, so the same relative path holds from src/ and from dist/.
 */
export function perlScript(name: PerlScript): string {
  return fileURLToPath(new URL(`./scripts/${name}.pl`, import.meta.url));
}
