/**
 * Which images a message may run. A pattern is `registry/name` with `*` matching any run of
 * characters (`/` included); the tag and digest do not count. An image named without a registry
 * matches under its written name and Docker Hub's full one (`busybox` is also
 * `docker.io/library/busybox`).
 */
export function imageAllowed(image: string, patterns: readonly string[]): boolean {
  const names = imageNames(image);
  return patterns.some((pattern) => {
    const matcher = globToRegExp(pattern);
    return names.some((name) => matcher.test(name));
  });
}

/** The repository of an image reference (no tag, no digest), as written and fully qualified. */
export function imageNames(image: string): string[] {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const name = colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
  const first = name.split('/')[0]!;
  const hasRegistry =
    name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return [name];
  return [name, `docker.io/${name.includes('/') ? name : `library/${name}`}`];
}

export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}
