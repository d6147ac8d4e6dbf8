import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  PullTracker,
  StatusLine,
  formatBar,
  formatBytes,
  formatPlainProgress,
  formatPlainPull,
  formatProgressBar,
} from '../../src/cli/progress-bar.js';

describe('formatting', () => {
  it('draws a bar with a percentage and a message', () => {
    expect(formatBar(0.5, 'half', 10)).toBe('[#####     ] 50% half');
    expect(formatBar(0, '', 4)).toBe('[    ] 0%');
    expect(formatBar(1.7, 'over', 4)).toBe('[####] 100% over');
    expect(formatBar(undefined, 'no total')).toBe('no total');
  });

  it('formats ProgressPipe reports', () => {
    expect(formatProgressBar({ current: 1, total: 4, message: 'one' }, 4)).toBe('[#   ] 25% one');
    expect(formatProgressBar({ current: 3, message: 'items' })).toBe('3 items');
    expect(formatProgressBar({ message: 'just text' })).toBe('just text');
    expect(formatPlainProgress({ current: 1, total: 2, message: 'half' })).toBe('progress: 1/2 half');
    expect(formatPlainProgress({ current: 3 })).toBe('progress: 3');
    expect(formatPlainProgress({ total: 3, message: 'm' })).toBe('progress: ?/3 m');
    expect(formatPlainProgress({ message: 'm' })).toBe('progress: m');
  });

  it('formats pulls and sizes', () => {
    expect(formatPlainPull({ image: 'x', status: 'Pulling fs layer', layer: 'abc' })).toBe(
      'pull: abc: Pulling fs layer',
    );
    expect(formatPlainPull({ image: 'x', status: 'Digest: sha256:1' })).toBe('pull: Digest: sha256:1');
    expect(formatBytes(999)).toBe('999B');
    expect(formatBytes(1_500_000)).toBe('1.5MB');
  });
});

describe('PullTracker', () => {
  it('adds up the layers being downloaded', () => {
    const tracker = new PullTracker();
    tracker.update({ image: 'img', status: 'Pulling fs layer', layer: 'a' });
    expect(tracker.fraction).toBeUndefined();
    expect(tracker.line).toBe('pulling img: Pulling fs layer');
    tracker.update({ image: 'img', status: 'Downloading', layer: 'a', current: 50, total: 100 });
    tracker.update({ image: 'img', status: 'Downloading', layer: 'b', current: 0, total: 300 });
    expect(tracker.fraction).toBeCloseTo(50 / 400);
    tracker.update({ image: 'img', status: 'Download complete', layer: 'a' });
    expect(tracker.fraction).toBeCloseTo(100 / 400);
    expect(tracker.line).toMatch(/^\[#+ +\] 25% pulling img: Download complete 100B\/400B$/);
  });
});

function fakeTerminal(columns = 40): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  Object.assign(stream, { isTTY: true, columns });
  return { stream, text: () => written };
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('StatusLine', () => {
  it('draws, clears before output and redraws only at the start of a line', async () => {
    const { stream, text } = fakeTerminal();
    const line = new StatusLine(stream);
    line.set('[##] 50%');
    await tick(10);
    expect(text()).toBe('\r\x1b[K[##] 50%');

    line.write(stream, 'partial', () => undefined);
    await tick(150);
    // Cleared before the output, not redrawn in the middle of the container's line.
    expect(text()).toBe('\r\x1b[K[##] 50%\r\x1b[Kpartial');

    line.write(stream, ' line\n', () => undefined);
    await tick(150);
    expect(text()).toBe('\r\x1b[K[##] 50%\r\x1b[Kpartial line\n\r\x1b[K[##] 50%');

    line.close();
    expect(text().endsWith('\r\x1b[K')).toBe(true);
    line.set('after close');
    await tick(10);
    expect(text()).not.toContain('after close');
  });

  it('truncates the line to the terminal width', async () => {
    const { stream, text } = fakeTerminal(10);
    const line = new StatusLine(stream);
    line.set('x'.repeat(30));
    await tick(10);
    expect(text()).toBe(`\r\x1b[K${'x'.repeat(8)}…`);
    line.close();
  });
});
