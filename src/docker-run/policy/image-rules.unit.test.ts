import { describe, expect, it } from 'vitest';
import { imageAllowed } from './image-rules.js';

describe('image patterns', () => {
  it('matches registry/name globs, whatever the tag or digest', () => {
    expect(imageAllowed('longshore/busybox', ['longshore/*'])).toBe(true);
    expect(imageAllowed('longshore/busybox:1.2', ['longshore/*'])).toBe(true);
    expect(imageAllowed(`longshore/busybox@sha256:${'a'.repeat(64)}`, ['longshore/*'])).toBe(true);
    expect(imageAllowed('registry.example.org:5000/team/app:3', ['registry.example.org:5000/*'])).toBe(true);
  });

  it('refuses what no pattern matches', () => {
    expect(imageAllowed('evil/busybox', ['longshore/*'])).toBe(false);
    expect(imageAllowed('longshorex/busybox', ['longshore/*'])).toBe(false);
    expect(imageAllowed('registry.example.org:5001/app', ['registry.example.org:5000/*'])).toBe(false);
    // The port is not a tag: the registry pattern does not match another registry's image.
    expect(imageAllowed('registry.example.org.evil/app', ['registry.example.org*/*'])).toBe(true);
    expect(imageAllowed('ubuntu', ['longshore/*'])).toBe(false);
  });

  it('knows Docker Hub names both ways, and * is any image', () => {
    expect(imageAllowed('busybox', ['docker.io/library/*'])).toBe(true);
    expect(imageAllowed('anything/at:all', ['*'])).toBe(true);
  });
});
