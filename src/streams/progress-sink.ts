import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';
import { LineSplitter } from './line-splitter.js';

/** One progress report: Girder Worker's progress line, as a task reports it. */
export interface Progress {
  current?: number;
  total?: number;
  message?: string;
}

/** Where the progress lines go: a task's reporter. */
export interface ProgressListener {
  progress(progress: Progress): void;
  warning(message: string): void;
}

export interface ProgressSinkOptions {
  /** Longest progress line accepted; longer ones are dropped with a warning. Default 1 MiB. */
  maxLineLength?: number;
}

const DEFAULT_MAX_LINE = 1024 * 1024;
const SHOWN = 200;

/**
 * The host end of Girder Worker's progress pipe: newline-delimited JSON objects with optional
 * `message`, `current` and `total`. A bad line is reported as a warning and skipped: a container's
 * progress output must never fail its task. Unlike Girder Worker, a last line without a newline
 * is still reported.
 */
export function createProgressSink(reporter: ProgressListener, options: ProgressSinkOptions = {}): Writable {
  const decoder = new StringDecoder('utf8');
  const splitter = new LineSplitter({
    maxLineLength: options.maxLineLength ?? DEFAULT_MAX_LINE,
    onLine: (line) => handleLine(reporter, line),
    onOverlong: (prefix, length) =>
      reporter.warning(`Ignored progress line of ${length} characters (too long): ${shorten(prefix)}`),
  });

  return new Writable({
    decodeStrings: true,
    write(chunk: Buffer, _encoding, callback) {
      try {
        splitter.push(decoder.write(chunk));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    final(callback) {
      try {
        splitter.push(decoder.end());
        splitter.end();
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

function handleLine(reporter: ProgressListener, line: string): void {
  if (line.trim() === '') return;
  const progress = parseProgress(line);
  if (progress) reporter.progress(progress);
  else reporter.warning(`Ignored malformed progress line: ${shorten(line)}`);
}

/** The line as a Progress with only the fields it has, or undefined if it is not valid. `null` counts as absent. */
export function parseProgress(line: string): Progress | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const progress: Progress = {};
  for (const key of ['current', 'total'] as const) {
    const field = record[key];
    if (field === undefined || field === null) continue;
    if (typeof field !== 'number') return undefined;
    progress[key] = field;
  }
  const message = record.message;
  if (message !== undefined && message !== null) {
    if (typeof message !== 'string') return undefined;
    progress.message = message;
  }
  return progress;
}

function shorten(text: string): string {
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text;
}
