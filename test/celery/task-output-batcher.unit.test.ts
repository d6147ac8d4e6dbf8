// A running task's progress and output, batched for Celery events: a chatty container must not
// flood the broker, and nothing is lost when the task ends.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OUTPUT_FLUSH_MS, TaskOutputBatcher } from '../../src/worker/task-output-batcher.js';
import type { LogChunk, Progress } from '../../src/execution/reporter.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function batcher(): { b: TaskOutputBatcher; progress: Progress[]; logs: LogChunk[] } {
  const progress: Progress[] = [];
  const logs: LogChunk[] = [];
  const b = new TaskOutputBatcher({ progress: (p) => progress.push(p), log: (c) => logs.push(c) });
  return { b, progress, logs };
}

describe('TaskOutputBatcher', () => {
  it('sends the last progress and the concatenated output once per interval', () => {
    const { b, progress, logs } = batcher();
    for (let i = 1; i <= 100; i++) {
      b.reporter.progress({ current: i, total: 100 });
      b.reporter.log({ stream: 'stdout', text: `line ${i}\n` });
    }
    expect(progress).toEqual([]);
    vi.advanceTimersByTime(OUTPUT_FLUSH_MS);
    expect(progress).toEqual([{ current: 100, total: 100 }]);
    expect(logs).toHaveLength(1);
    expect(logs[0]!.text.split('\n')).toHaveLength(101);
    // Nothing new: nothing sent.
    vi.advanceTimersByTime(OUTPUT_FLUSH_MS * 4);
    expect(progress).toHaveLength(1);
    expect(logs).toHaveLength(1);
  });

  it('one event per stream, and close() sends what is pending at once, then nothing more', () => {
    const { b, progress, logs } = batcher();
    b.reporter.log({ stream: 'stdout', text: 'out' });
    b.reporter.log({ stream: 'stderr', text: 'err' });
    b.reporter.progress({ message: 'almost' });
    b.close();
    expect(logs).toEqual([
      { stream: 'stdout', text: 'out' },
      { stream: 'stderr', text: 'err' },
    ]);
    expect(progress).toEqual([{ message: 'almost' }]);
    b.reporter.log({ stream: 'stdout', text: 'late' });
    vi.advanceTimersByTime(OUTPUT_FLUSH_MS * 2);
    expect(logs).toHaveLength(2);
  });
});
