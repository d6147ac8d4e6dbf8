// The files of the longshore/node test image: the host's own node binary (the one `command -v node`
// finds), its shared libraries and the dynamic loader, read from the host at build time.
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { hostFile, withParentDirectories, type RootfsEntry } from './rootfs.js';
import { sharedLibraries, sharedLibraryEntries } from './shared-libraries.js';

/** Where the image has node, whatever its host path (e.g. under ~/.nvm): on the image's PATH. */
const IMAGE_PATH = 'usr/local/bin/node';

export function nodeRootfs(): RootfsEntry[] {
  let found: string;
  try {
    found = execFileSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).trim();
  } catch (err) {
    throw new Error("this image is made of the host's node binary, but there is no node on PATH", {
      cause: err,
    });
  }
  // A version manager's shim may stand on PATH; the image needs the executable itself.
  const binary = realpathSync(found);
  return withParentDirectories([
    hostFile(binary, IMAGE_PATH),
    ...sharedLibraryEntries(sharedLibraries(binary)),
  ]);
}
