/**
 * AMQP field tables as Python's py-amqp reads them. amqplib picks the smallest integer type for
 * a JS integer: int8 (`b`, which py-amqp 5.3 reads as unsigned, so -1 becomes 255) or int16 (`s`,
 * which py-amqp reads as a short *string*: garbage, or a UnicodeDecodeError that kills the
 * worker). Every integer therefore goes out tagged int32 (`I`), or int64 (`l`) beyond that
 * range; floats stay doubles, and strings, booleans, null, lists and tables are unchanged.
 */

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

interface TypedValue {
  '!': string;
  value: unknown;
}

export function encodeHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = encodeHeaderValue(value);
  }
  return out;
}

export function encodeHeaderValue(value: unknown): unknown {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return value;
    if (value >= INT32_MIN && value <= INT32_MAX) return typed('int32', value);
    return typed('int64', value);
  }
  if (typeof value === 'bigint') return typed('int64', value);
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : encodeHeaderValue(v)));
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    if (Object.hasOwn(value, '!')) return value; // already typed
    return encodeHeaders(value as Record<string, unknown>);
  }
  return value;
}

function typed(type: string, value: unknown): TypedValue {
  return { '!': type, value };
}
