import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Progress, Reporter } from '../execution/reporter.js';
import { LineSplitter } from './line-splitter.js';
import { createProgressSink, parseProgress } from './progress-sink.js';

class RecordingReporter implements Reporter {
  readonly progresses: Progress[] = [];
  readonly warnings: string[] = [];
  status(): void {}
  log(): void {}
  pull(): void {}
  progress(progress: Progress): void {
    this.progresses.push(progress);
  }
  warning(message: string): void {
    this.warnings.push(message);
  }
  phase(): void {}
}

async function feed(sink: Writable, chunks: (string | Buffer)[]): Promise<void> {
  for (const chunk of chunks) sink.write(chunk);
  await new Promise<void>((resolve, reject) => {
    sink.on('error', reject);
    sink.end(resolve);
  });
}

describe('createProgressSink', () => {
  it('reports each line with only the fields it has, whatever the chunk boundaries', async () => {
    const reporter = new RecordingReporter();
    const text =
      '{"message":"starting"}\n{"current":1,"total":10}\n{"current":5,"total":10,"message":"half"}\n';
    // One byte at a time: every possible split.
    await feed(
      createProgressSink(reporter),
      [...Buffer.from(text)].map((b) => Buffer.from([b])),
    );
    expect(reporter.progresses).toEqual([
      { message: 'starting' },
      { current: 1, total: 10 },
      { current: 5, total: 10, message: 'half' },
    ]);
    expect(reporter.warnings).toEqual([]);
  });

  it('reports a last line that has no newline', async () => {
    const reporter = new RecordingReporter();
    await feed(createProgressSink(reporter), ['{"current":1}\n{"cur', 'rent":2}']);
    expect(reporter.progresses).toEqual([{ current: 1 }, { current: 2 }]);
  });

  it('warns about malformed lines and carries on', async () => {
    const reporter = new RecordingReporter();
    await feed(createProgressSink(reporter), [
      'not json\n',
      '[1,2]\n',
      '42\n',
      'null\n',
      '{"current":"3"}\n',
      '{"message":7}\n',
      '{"current":4}\n',
    ]);
    expect(reporter.progresses).toEqual([{ current: 4 }]);
    expect(reporter.warnings).toHaveLength(6);
    expect(reporter.warnings[0]).toBe('Ignored malformed progress line: not json');
    expect(reporter.warnings[4]).toBe('Ignored malformed progress line: {"current":"3"}');
  });

  it('ignores blank lines, CRLF endings and null fields', async () => {
    const reporter = new RecordingReporter();
    await feed(createProgressSink(reporter), [
      '\n  \n{"current":1,"total":null}\r\n\r\n',
      '{"message":null}',
    ]);
    expect(reporter.progresses).toEqual([{ current: 1 }, {}]);
    expect(reporter.warnings).toEqual([]);
  });

  it('decodes multi-byte characters split across chunks', async () => {
    const reporter = new RecordingReporter();
    const bytes = Buffer.from('{"message":"héllo 🚢 wörld"}\n');
    const emoji = bytes.indexOf(Buffer.from('🚢'));
    await feed(createProgressSink(reporter), [
      bytes.subarray(0, emoji + 1),
      bytes.subarray(emoji + 1, emoji + 3),
      bytes.subarray(emoji + 3),
    ]);
    expect(reporter.progresses).toEqual([{ message: 'héllo 🚢 wörld' }]);
  });

  it('truncates long malformed lines in the warning', async () => {
    const reporter = new RecordingReporter();
    await feed(createProgressSink(reporter), [`${'x'.repeat(5000)}\n`]);
    expect(reporter.warnings[0]!.length).toBeLessThan(300);
  });

  it('drops lines longer than the limit without keeping them, then goes on', async () => {
    const reporter = new RecordingReporter();
    const sink = createProgressSink(reporter, { maxLineLength: 1000 });
    const huge = `{"message":"${'y'.repeat(3000)}"}`;
    await feed(sink, [huge.slice(0, 1500), huge.slice(1500), '\n{"current":2}\n']);
    expect(reporter.progresses).toEqual([{ current: 2 }]);
    expect(reporter.warnings).toHaveLength(1);
    expect(reporter.warnings[0]).toMatch(
      /^Ignored progress line of 3014 characters \(too long\): \{"message":"yyy/,
    );
  });
});

describe('parseProgress', () => {
  it('accepts only objects with the right field types', () => {
    expect(parseProgress('{"current":1.5,"total":3,"message":"m","extra":true}')).toEqual({
      current: 1.5,
      total: 3,
      message: 'm',
    });
    expect(parseProgress('{"total":true}')).toBeUndefined();
    expect(parseProgress('"text"')).toBeUndefined();
    expect(parseProgress('{')).toBeUndefined();
  });
});

describe('LineSplitter', () => {
  it('joins pieces of a line and flushes the last one on end', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter({
      maxLineLength: 100,
      onLine: (l) => lines.push(l),
      onOverlong: () => {},
    });
    splitter.push('a');
    splitter.push('b\nc');
    splitter.push('\n\nd');
    splitter.end();
    expect(lines).toEqual(['ab', 'c', '', 'd']);
  });

  it('reports an overlong line that ends the input', () => {
    const overlong: [string, number][] = [];
    const splitter = new LineSplitter({
      maxLineLength: 4,
      onLine: () => {},
      onOverlong: (prefix, length) => overlong.push([prefix, length]),
    });
    splitter.push('abc');
    splitter.push('defg');
    splitter.end();
    expect(overlong).toEqual([['abcdefg', 7]]);
  });
});
