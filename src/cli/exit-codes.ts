import {
  ContainerExitError,
  ContainerStartError,
  DockerEngineError,
  ImageNotFoundError,
  ImagePullError,
  LongshoreError,
  ValidationError,
} from '../index.js';
import { UsageError } from './args.js';

/** Exit codes, as `docker run` uses them where it has one. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** The container could not be started, or its image could not be had. */
export const EXIT_NOT_STARTED = 125;
/** The reader of our standard output went away (128 + SIGPIPE). */
export const EXIT_BROKEN_PIPE = 141;

/** The exit code for an error: the container's own code when it ran and failed. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof ContainerExitError) {
    return Number.isInteger(error.exitCode) && error.exitCode > 0 && error.exitCode < 256
      ? error.exitCode
      : EXIT_FAILURE;
  }
  if (
    error instanceof ImageNotFoundError ||
    error instanceof ImagePullError ||
    error instanceof ContainerStartError ||
    error instanceof ValidationError ||
    error instanceof DockerEngineError
  ) {
    return EXIT_NOT_STARTED;
  }
  return EXIT_FAILURE;
}

/** An error as one line for people: longshore's own errors by their message, others flagged as unexpected. */
export function describeError(error: unknown, debug = false): string {
  if (error instanceof LongshoreError) return `longshore: ${oneLine(error.message)}`;
  const line = `longshore: unexpected error: ${oneLine(messageOfError(error))}`;
  return debug && error instanceof Error && error.stack ? `${line}\n${error.stack}` : line;
}

export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}

export function messageOfError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
