import { redact } from './secrets.js';

export interface LongshoreErrorOptions {
  cause?: unknown;
}

/** Every `code` a LongshoreError can carry. */
export type LongshoreErrorCode =
  // Input, the Docker engine, the container and its streams, the task (core)
  | 'ERR_INVALID_INPUT'
  | 'ERR_DOCKER_ENGINE'
  | 'ERR_IMAGE_PULL'
  | 'ERR_IMAGE_NOT_FOUND'
  | 'ERR_CONTAINER_START'
  | 'ERR_CONTAINER_EXIT'
  | 'ERR_STREAM'
  | 'ERR_TASK_CANCELLED'
  | 'ERR_RESULT_HOOK'
  | 'ERR_CLEANUP'
  | 'ERR_TIMEOUT'
  | 'ERR_POLICY'
  // Celery: the broker, the protocol, remote tasks, limits and retries
  | 'ERR_BROKER_CONNECTION'
  | 'ERR_PROTOCOL'
  | 'ERR_REMOTE_TASK'
  | 'ERR_NOT_REGISTERED'
  | 'ERR_SOFT_TIME_LIMIT'
  | 'ERR_TIME_LIMIT'
  | 'ERR_RETRY'
  | 'ERR_MAX_RETRIES'
  // Girder
  | 'ERR_GIRDER_HTTP'
  | 'ERR_GIRDER_UNREACHABLE'
  | 'ERR_GIRDER_CONFIG'
  | 'ERR_GIRDER_TRANSFER'
  | 'ERR_GIRDER_UPLOAD'
  // The monitor
  | 'ERR_MONITOR_STORE'
  | 'ERR_MONITOR_AUTH';

/**
 * The root of every error longshore raises. `code` is stable and meant for programs;
 * the message is for people and never carries a secret.
 */
export class LongshoreError extends Error {
  readonly code: LongshoreErrorCode;

  constructor(code: LongshoreErrorCode, message: string, options: LongshoreErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    markClassChain(new.target);
  }

  /**
   * `instanceof` by a `Symbol.for` mark rather than by prototype: a task module that resolves
   * another copy of longshore (its own node_modules) still throws errors this copy recognises,
   * `Retry` included.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    if ((value as Record<symbol, unknown>)[errorMark(this.name)] === true) return true;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

function errorMark(className: string): symbol {
  return Symbol.for(`longshore.error.${className}`);
}

/** Marks the prototypes from `target` up to LongshoreError, each with its class's name. */
function markClassChain(target: abstract new (...args: never[]) => unknown): void {
  for (
    let cls: unknown = target;
    typeof cls === 'function' && cls !== Error;
    cls = Object.getPrototypeOf(cls)
  ) {
    const prototype = (cls as { prototype: object }).prototype;
    const mark = errorMark((cls as { name: string }).name);
    if (Object.hasOwn(prototype, mark)) return;
    Object.defineProperty(prototype, mark, { value: true });
  }
}

/** Bad input caught at a boundary, before any container starts. */
export class ValidationError extends LongshoreError {
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, expected: string, options: LongshoreErrorOptions = {}) {
    super('ERR_INVALID_INPUT', `Invalid ${field}: ${describeValue(value)} (${expected})`, options);
    this.field = field;
    this.value = value;
  }
}

/**
 * The worker policy refused a task (before anything was created on the host), or stopped it at
 * one of its limits. `field` names where the message asked it, `rule` what forbids it.
 */
export class PolicyError extends LongshoreError {
  readonly field: string;
  readonly value: unknown;
  readonly rule: string;

  constructor(
    field: string,
    value: unknown,
    rule: string,
    options: LongshoreErrorOptions & { stopped?: boolean } = {},
  ) {
    const verb = options.stopped ? 'Stopped' : 'Refused';
    super(
      'ERR_POLICY',
      `${verb} by the worker policy: ${field} = ${describeValue(value)} (rule: ${rule})`,
      options,
    );
    this.field = field;
    this.value = value;
    this.rule = rule;
  }
}

/** The Docker engine could not be reached or refused a request outside a more specific phase. */
export class DockerEngineError extends LongshoreError {
  constructor(message: string, options: LongshoreErrorOptions = {}) {
    super('ERR_DOCKER_ENGINE', message, options);
  }
}

export class ImagePullError extends LongshoreError {
  readonly image: string;

  constructor(image: string, message: string, options: LongshoreErrorOptions = {}) {
    super('ERR_IMAGE_PULL', `Could not pull image ${image}: ${message}`, options);
    this.image = image;
  }
}

export class ImageNotFoundError extends LongshoreError {
  readonly image: string;

  constructor(image: string, options: LongshoreErrorOptions = {}) {
    super('ERR_IMAGE_NOT_FOUND', `Image ${image} is not present and pulling was not allowed`, options);
    this.image = image;
  }
}

/** The engine refused to create or start the container (bad mount, unknown device driver, ...). */
export class ContainerStartError extends LongshoreError {
  constructor(message: string, options: LongshoreErrorOptions = {}) {
    super('ERR_CONTAINER_START', message, options);
  }
}

export class ContainerExitError extends LongshoreError {
  readonly exitCode: number;
  readonly stderrTail: string;

  constructor(exitCode: number, stderrTail: string, options: LongshoreErrorOptions = {}) {
    const tail = stderrTail.trimEnd();
    super(
      'ERR_CONTAINER_EXIT',
      `Non-zero exit code from docker container (${exitCode})${tail ? `: ${lastLine(tail)}` : ''}`,
      options,
    );
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

/** A stream between the host and the container failed (a FIFO, an HTTP upload, a caller's stream). */
export class StreamError extends LongshoreError {
  constructor(message: string, options: LongshoreErrorOptions = {}) {
    super('ERR_STREAM', message, options);
  }
}

/** The task was cancelled through `cancel()`, an AbortSignal or a revoke. */
export class TaskCancelledError extends LongshoreError {
  constructor(message = 'The task was cancelled', options: LongshoreErrorOptions = {}) {
    super('ERR_TASK_CANCELLED', message, options);
  }
}

/** A result hook failed after the container ran. */
export class ResultHookError extends LongshoreError {
  readonly hookIndex: number;

  constructor(hookIndex: number, message: string, options: LongshoreErrorOptions = {}) {
    super('ERR_RESULT_HOOK', `Result hook #${hookIndex} failed: ${message}`, options);
    this.hookIndex = hookIndex;
  }
}

/** Cleanup failed after an otherwise successful task; never raised over a task's own error. */
export class CleanupError extends LongshoreError {
  readonly errors: readonly unknown[];

  constructor(errors: readonly unknown[]) {
    super('ERR_CLEANUP', `Cleanup failed: ${errors.map(messageOf).join('; ')}`, { cause: errors[0] });
    this.errors = errors;
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function lastLine(text: string): string {
  const lines = text.split('\n');
  return lines[lines.length - 1] ?? '';
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (value !== null && typeof value === 'object' && value.constructor && value.constructor !== Object) {
    return `a ${value.constructor.name}`;
  }
  try {
    const json = JSON.stringify(value);
    return json.length > 200 ? `${json.slice(0, 200)}…` : json;
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- last resort for what JSON cannot encode (a BigInt, a cycle)
    return String(value);
  }
}
