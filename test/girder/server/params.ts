// Parameter handling of Girder's autoDescribeRoute: a parameter that is present is coerced and
// checked; an absent one takes its default, or fails with 'Parameter "x" is required.' if it is
// required. Handlers read their parameters in the order Girder's route descriptions declare them,
// so the first error reported is the one Girder reports.
import type { RequestContext } from './context.js';
import { RestError } from './errors.js';

interface Common<T> {
  required?: boolean;
  default?: T;
}

function absent<T>(name: string, opts: Common<T>): T | undefined {
  if (opts.default !== undefined) return opts.default;
  if (opts.required) throw new RestError(`Parameter "${name}" is required.`);
  return undefined;
}

function checkEnum(
  name: string,
  value: string | number,
  allowed: readonly (string | number)[] | undefined,
): void {
  if (allowed && !allowed.includes(value)) {
    throw new RestError(`Invalid value for ${name}: "${value}". Allowed values: ${allowed.join(', ')}.`);
  }
}

export function strParam(
  ctx: RequestContext,
  name: string,
  opts: Common<string> & { strip?: boolean; enum?: readonly string[] } = {},
): string | undefined {
  const raw = ctx.params.get(name);
  if (raw === undefined) return absent(name, opts);
  const value = opts.strip ? raw.trim() : raw;
  checkEnum(name, value, opts.enum);
  return value;
}

/** Python's int(): optional sign and surrounding whitespace, digits with single underscores. */
export function parsePythonInt(raw: string): number | undefined {
  const text = raw.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(text)) return undefined;
  return Number(text.replace(/_/g, ''));
}

/** Python's float(): decimal or exponent forms, inf/infinity/nan, surrounding whitespace. */
export function parsePythonFloat(raw: string): number | undefined {
  const text = raw.trim();
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special) {
    if (special[2]?.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!/^[+-]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+(_\d+)*)?$/.test(text))
    return undefined;
  return Number(text.replace(/_/g, ''));
}

export function intParam(
  ctx: RequestContext,
  name: string,
  opts: Common<number> & { enum?: readonly number[] } = {},
): number | undefined {
  const raw = ctx.params.get(name);
  if (raw === undefined) return absent(name, opts);
  const value = parsePythonInt(raw);
  if (value === undefined) throw new RestError(`Invalid value for integer parameter ${name}: ${raw}.`);
  checkEnum(name, value, opts.enum);
  return value;
}

export function floatParam(ctx: RequestContext, name: string, opts: Common<number> = {}): number | undefined {
  const raw = ctx.params.get(name);
  if (raw === undefined) return absent(name, opts);
  const value = parsePythonFloat(raw);
  if (value === undefined) throw new RestError(`Invalid value for numeric parameter ${name}: ${raw}.`);
  return value;
}

/** girder.utility.toBool. */
export function toBool(raw: string): boolean {
  return ['true', 'on', '1', 'yes'].includes(raw.trim().toLowerCase());
}

export function boolParam(
  ctx: RequestContext,
  name: string,
  opts: Common<boolean> = {},
): boolean | undefined {
  const raw = ctx.params.get(name);
  if (raw === undefined) return absent(name, opts);
  return toBool(raw);
}

export function jsonParam(
  ctx: RequestContext,
  name: string,
  opts: { required?: boolean; requireObject?: boolean; requireArray?: boolean } = {},
): unknown {
  const raw = ctx.params.get(name);
  if (raw === undefined) return absent(name, opts);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new RestError(`Parameter ${name} must be valid JSON.`);
  }
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (opts.requireObject && !isObject) throw new RestError(`Parameter ${name} must be a JSON object.`);
  if (opts.requireArray && !Array.isArray(value))
    throw new RestError(`Parameter ${name} must be a JSON array.`);
  return value;
}

export interface Paging {
  limit: number;
  offset: number;
  sort: { field: string; dir: 1 | -1 };
}

/** Description.pagingParams: limit (default 50), offset (0), sort (the route's field), sortdir (1 or -1). */
export function pagingParams(ctx: RequestContext, defaultSort: string, defaultSortDir: 1 | -1 = 1): Paging {
  const limit = intParam(ctx, 'limit', { default: 50 }) ?? 50;
  const offset = intParam(ctx, 'offset', { default: 0 }) ?? 0;
  const field = strParam(ctx, 'sort', { default: defaultSort, strip: true }) ?? defaultSort;
  const dir = intParam(ctx, 'sortdir', { default: defaultSortDir, enum: [1, -1] }) ?? defaultSortDir;
  return { limit, offset, sort: { field, dir: dir === -1 ? -1 : 1 } };
}
