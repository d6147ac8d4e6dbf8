import { ImageNotFoundError, ImagePullError } from '../core/errors.js';
import type { Reporter } from '../execution/reporter.js';
import type { DockerEngine, ImageInfo } from './engine.js';

export type PullPolicy = boolean | 'ifNotPresent';

/** Makes sure the engine has the image, pulling as the policy says, and returns what it knows of it. */
export async function ensureImage(
  engine: DockerEngine,
  image: string,
  policy: PullPolicy,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<ImageInfo> {
  if (policy !== true) {
    const present = await engine.inspectImage(image);
    if (present) return present;
    if (policy === false) throw new ImageNotFoundError(image);
  }
  await engine.pull(withDefaultTag(image), (p) => reporter.pull(p), signal);
  const pulled = await engine.inspectImage(image);
  if (!pulled) throw new ImagePullError(image, 'the engine reported success but does not have the image');
  return pulled;
}

/** The engine pulls every tag of a repository named without one; docker's CLI means `latest`. */
export function withDefaultTag(image: string): string {
  if (image.includes('@')) return image;
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? image : `${image}:latest`;
}
