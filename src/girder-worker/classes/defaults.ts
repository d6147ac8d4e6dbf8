import { ProtocolError } from '../../core/protocol-error.js';
import { installDockerTransforms } from './docker-transforms.js';
import { installGirderClient } from './girder-client.js';
import { installGirderTransforms } from './girder-transforms.js';
import {
  PythonClassRegistry,
  type ClassOf,
  type PythonClassFactory,
  type PythonEncodeOptions,
  type PythonEncoder,
} from './registry.js';

/** A new registry with Girder Worker's docker and Girder transforms and `girder_client.GirderClient`. */
export function createGirderWorkerRegistry(): PythonClassRegistry {
  const registry = new PythonClassRegistry();
  installDockerTransforms(registry);
  installGirderClient(registry);
  installGirderTransforms(registry);
  return registry;
}

/** The registry longshore's Celery worker and client use unless given another. */
export const girderWorkerClasses: PythonClassRegistry = createGirderWorkerRegistry();

/** Decodes the Python class `classPath` with `factory` from now on (in `girderWorkerClasses`). */
export function registerPythonClass(classPath: string, factory: PythonClassFactory): void {
  girderWorkerClasses.register(classPath, factory);
}

/** Encodes instances of `type` with `encode` from now on (in `girderWorkerClasses`). */
export function registerPythonEncoder<T extends object>(type: ClassOf<T>, encode: PythonEncoder<T>): void {
  girderWorkerClasses.registerEncoder(type, encode);
}

/** Restores parsed jsonpickle JSON (a task body) into longshore objects. */
export function decodeGirderWorkerValue(value: unknown, registry = girderWorkerClasses): unknown {
  return registry.decode(value);
}

/** Restores a jsonpickle message text (a task body) into longshore objects. */
export function decodeGirderWorkerText(text: string, registry = girderWorkerClasses): unknown {
  return registry.decodeText(text);
}

/** The jsonpickle JSON (to `JSON.stringify`) of a value holding longshore objects. */
export function encodeGirderWorkerValue(
  value: unknown,
  registry = girderWorkerClasses,
  options: PythonEncodeOptions = {},
): unknown {
  return registry.encode(value, options);
}

/**
 * The `girder_result_hooks` header: Girder Worker flattens each hook with its own Pickler (and
 * restores each with its own Unpickler), so `py/id` numbers restart at every hook. Absent → [].
 */
export function decodeResultHooks(hooks: unknown, registry = girderWorkerClasses): unknown[] {
  if (hooks === undefined || hooks === null) return [];
  if (!Array.isArray(hooks)) {
    throw new ProtocolError('The girder_result_hooks header must be a list of flattened Python objects');
  }
  return hooks.map((hook) => registry.decode(hook));
}

/** The `girder_result_hooks` header for these hooks: each flattened on its own, as Python does. */
export function encodeResultHooks(
  hooks: readonly unknown[],
  registry = girderWorkerClasses,
  options: PythonEncodeOptions = {},
): unknown[] {
  return hooks.map((hook) => registry.encode(hook, options));
}

/**
 * A task body's JSON text, through jsonpickle with Girder Worker's classes, as Girder Worker's
 * `girder_io` serializer writes every `application/json` message (one pass: shared objects stay shared).
 */
export function encodeTaskBody(
  body: unknown,
  registry = girderWorkerClasses,
  options: PythonEncodeOptions = {},
): string {
  return JSON.stringify(registry.encode(body, options));
}
