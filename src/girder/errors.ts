import { LongshoreError, type LongshoreErrorCode, type LongshoreErrorOptions } from '../core/errors.js';

/** Something went wrong between longshore and Girder (the root of the Girder phase's errors). */
export class GirderError extends LongshoreError {
  constructor(code: LongshoreErrorCode, message: string, options: LongshoreErrorOptions = {}) {
    super(code, message, options);
  }
}

export interface GirderHttpErrorDetails {
  method: string;
  /** The path under the API root (`file/5f.../download`), or the URL without its query for others. */
  path: string;
  /** The HTTP status; null when no answer came (connection refused, reset, timed out). */
  status: number | null;
  /** Girder's own `message` from the error body, when it sent one. */
  girderMessage?: string | undefined;
  /** Girder's `field` of a validation error (`id`, `status`...). */
  field?: string | undefined;
  /** What longshore was doing, for people: "download file 5f..." */
  action?: string | undefined;
}

/**
 * A Girder request failed: an error answer or no answer at all. It names the request (method and
 * path, never the query: tokens and keys travel there) and Girder's own words.
 */
export class GirderHttpError extends GirderError {
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly girderMessage: string | undefined;
  readonly field: string | undefined;

  constructor(details: GirderHttpErrorDetails, options: LongshoreErrorOptions = {}) {
    const what = details.action ? `Could not ${details.action}: ` : '';
    const answer =
      details.status === null
        ? `no answer (${describeCause(options.cause)})`
        : `HTTP ${details.status}${details.girderMessage ? `: ${details.girderMessage}` : ''}`;
    super(
      details.status === null ? 'ERR_GIRDER_UNREACHABLE' : 'ERR_GIRDER_HTTP',
      `${what}Girder ${details.method} ${details.path} failed with ${answer}`,
      options,
    );
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.girderMessage = details.girderMessage;
    this.field = details.field;
  }

  /** The same error, saying what longshore was doing when it happened. */
  withAction(action: string): GirderHttpError {
    const copy = new GirderHttpError(
      {
        method: this.method,
        path: this.path,
        status: this.status,
        girderMessage: this.girderMessage,
        field: this.field,
        action,
      },
      { cause: this.cause },
    );
    return copy;
  }
}

/** Girder is not configured for a task that needs it, or the configuration is unusable. */
export class GirderConfigError extends GirderError {
  constructor(message: string, options: LongshoreErrorOptions = {}) {
    super('ERR_GIRDER_CONFIG', message, options);
  }
}

/** What Girder sent does not match what it announced (a download shorter than the file's size...). */
export class GirderTransferError extends GirderError {
  constructor(message: string, options: LongshoreErrorOptions = {}) {
    super('ERR_GIRDER_TRANSFER', message, options);
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}
