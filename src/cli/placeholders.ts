import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  Connect,
  HostFile,
  NamedInputPipe,
  NamedOutputPipe,
  ProgressPipe,
  TemporaryVolume,
  VolumePath,
  type StreamSink,
} from '../index.js';
import { UsageError } from './args.js';

/**
 * Placeholders in `longshore run` container arguments. Only a whole argument is a placeholder:
 *
 *   {tmp}          the task's temporary directory (TemporaryVolume.default)
 *   {tmp:NAME}     NAME inside it (VolumePath)
 *   {in:FILE}      a FIFO the container reads, fed from host FILE; {in:-} feeds it from stdin
 *   {out:FILE}     a FIFO the container writes, copied into host FILE; {out:-} to stdout
 *   {progress}     a ProgressPipe
 *
 * `{{tmp}}` is the literal `{tmp}`: an argument that would be a placeholder once one pair of
 * braces is removed loses that pair. Anything else (JSON, `{{.Go}}` templates) is left alone.
 */
export type ArgSpec =
  | { kind: 'literal'; value: string }
  | { kind: 'tmp' }
  | { kind: 'tmp-path'; name: string }
  | { kind: 'in'; hostPath: string }
  | { kind: 'in-stdin' }
  | { kind: 'out'; hostPath: string }
  | { kind: 'out-stdout' }
  | { kind: 'progress' };

const PLACEHOLDER = /^\{([a-z]+)(?::([^]*))?\}$/;

export const PLACEHOLDER_HELP = `\
  {tmp}         the task's temporary directory (read-write, removed afterwards)
  {tmp:NAME}    the path NAME inside that directory
  {in:FILE}     a named pipe the container reads, fed from host FILE
                ({in:-}: fed from this command's standard input)
  {out:FILE}    a named pipe the container writes, copied to host FILE
                ({out:-}: copied to this command's standard output)
  {progress}    a named pipe for progress, one JSON {"current","total","message"} per line
  {{tmp}}       the literal text {tmp} (one pair of braces is removed)
Only a whole argument is a placeholder; relative FILEs are relative to the current directory.`;

function isPlaceholderShaped(arg: string): boolean {
  if (PLACEHOLDER.test(arg)) return true;
  return arg.startsWith('{{') && arg.endsWith('}}') && isPlaceholderShaped(arg.slice(1, -1));
}

/** Reads one container argument. Throws a UsageError for an unknown or malformed placeholder. */
export function parseArg(arg: string, cwd: string = process.cwd()): ArgSpec {
  if (arg.startsWith('{{') && arg.endsWith('}}') && isPlaceholderShaped(arg.slice(1, -1))) {
    return { kind: 'literal', value: arg.slice(1, -1) };
  }
  const match = PLACEHOLDER.exec(arg);
  if (!match) return { kind: 'literal', value: arg };
  const name = match[1]!;
  const value = match[2];
  const bad = (why: string): UsageError =>
    new UsageError(`invalid placeholder '${arg}': ${why}; write '{${arg}}' for the literal text`);
  const needValue = (what: string): string => {
    if (value === undefined || value === '') throw bad(`expected {${name}:${what}}`);
    if (value.includes('\0')) throw bad('a NUL character');
    return value;
  };
  const hostPath = (file: string): string => path.resolve(cwd, file);

  switch (name) {
    case 'tmp': {
      if (value === undefined) return { kind: 'tmp' };
      const file = needValue('NAME');
      if (path.posix.isAbsolute(file)) throw bad('NAME must be relative to the temporary directory');
      const normalized = path.posix.normalize(file);
      if (normalized === '..' || normalized.startsWith('../')) throw bad('NAME must stay inside it');
      return { kind: 'tmp-path', name: file };
    }
    case 'in': {
      const file = needValue('FILE');
      return file === '-' ? { kind: 'in-stdin' } : { kind: 'in', hostPath: hostPath(file) };
    }
    case 'out': {
      const file = needValue('FILE');
      return file === '-' ? { kind: 'out-stdout' } : { kind: 'out', hostPath: hostPath(file) };
    }
    case 'progress':
      if (value !== undefined) throw bad('{progress} takes no value');
      return { kind: 'progress' };
    default:
      throw new UsageError(
        `unknown placeholder '${arg}' (known: {tmp}, {tmp:NAME}, {in:FILE}, {out:FILE}, {progress}); ` +
          `write '{${arg}}' for the literal text`,
      );
  }
}

export function parseContainerArgs(args: readonly string[], cwd: string = process.cwd()): ArgSpec[] {
  const specs = args.map((arg) => parseArg(arg, cwd));
  if (specs.filter((s) => s.kind === 'in-stdin').length > 1) {
    throw new UsageError('{in:-} may appear only once: standard input can be read only once');
  }
  return specs;
}

export interface BuildOptions {
  /** Where `{out:-}` goes. */
  stdout: StreamSink;
  /** What `{in:-}` reads. */
  stdin?: () => Readable;
}

/** Turns parsed arguments into `containerArgs` for dockerRun: literals stay, placeholders become transforms. */
export function buildContainerArgs(specs: readonly ArgSpec[], options: BuildOptions): unknown[] {
  let pipes = 0;
  let progress: ProgressPipe | undefined;
  const pipeName = (kind: string): string => `.longshore-${kind}-${++pipes}`;
  return specs.map((spec) => {
    switch (spec.kind) {
      case 'literal':
        return spec.value;
      case 'tmp':
        return TemporaryVolume.default;
      case 'tmp-path':
        return new VolumePath(spec.name);
      case 'in':
        return new Connect(new HostFile(spec.hostPath), new NamedInputPipe(pipeName('in')));
      case 'in-stdin':
        return new Connect((options.stdin ?? (() => process.stdin))(), new NamedInputPipe(pipeName('stdin')));
      case 'out':
        return new Connect(new NamedOutputPipe(pipeName('out')), new HostFile(spec.hostPath));
      case 'out-stdout':
        return new Connect(new NamedOutputPipe(pipeName('stdout')), options.stdout);
      case 'progress':
        // One pipe however often it appears: every {progress} is the same FIFO.
        progress ??= new ProgressPipe();
        return progress;
    }
  });
}

/** Host files that `{in:FILE}` placeholders read. */
export function inputFiles(specs: readonly ArgSpec[]): string[] {
  return specs.flatMap((s) => (s.kind === 'in' ? [s.hostPath] : []));
}

/** Host files that `{out:FILE}` placeholders write. */
export function outputFiles(specs: readonly ArgSpec[]): string[] {
  return specs.flatMap((s) => (s.kind === 'out' ? [s.hostPath] : []));
}
