import path from 'node:path';
import { ValidationError } from '../core/errors.js';
import { registerSecret } from '../core/secrets.js';
import { isGirderConnection, type GirderConnection } from './girder-connection.js';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** Girder's ids are MongoDB ObjectIds: 24 hexadecimal digits. Checked at once, naming the field. */
export function checkObjectId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !OBJECT_ID.test(value)) {
    throw new ValidationError(field, value, 'a Girder id: 24 hexadecimal digits');
  }
  return value;
}

/** An optional id: undefined and null (Python's None) mean "none". */
export function checkOptionalObjectId(field: string, value: unknown): string | null {
  return value === undefined || value === null ? null : checkObjectId(field, value);
}

/**
 * A transform's own Girder connection (the `gc` of a Python message) or none. Its token is
 * registered as a secret, and never shown: a wrong value is named only by its type.
 */
export function checkConnection(value: unknown): GirderConnection | null {
  if (value === undefined || value === null) return null;
  if (!isGirderConnection(value)) {
    throw new ValidationError('gc', typeof value, 'a GirderConnection (createGirderConnection) or null');
  }
  registerSecret(value.token);
  return value;
}

export function checkBoolean(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new ValidationError(field, value, 'true or false');
  return value;
}

/** A name for a Girder file: not empty, one path component. */
export function checkFileName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || /[\0/]/.test(value)) {
    throw new ValidationError(field, value, 'a non-empty file name without "/"');
  }
  return value;
}

export function checkOptionalFileName(field: string, value: unknown): string | null {
  return value === undefined || value === null ? null : checkFileName(field, value);
}

export function checkAbsoluteHostPath(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.includes('\0') || !path.isAbsolute(value)) {
    throw new ValidationError(field, value, 'an absolute path on this host');
  }
  return value;
}

/** A number of bytes for a Girder file. */
export function checkOptionalSize(field: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(field, value, 'a whole number of bytes, 0 or more');
  }
  return value;
}
