import { parseIsoTime } from './python-values.js';

/**
 * kombu's JSON encoder writes values JSON has no type for as `{"__type__": T, "__value__": V}`
 * (kombu/utils/json.py). Results from Python workers may hold them; this turns them into JS
 * values: datetime → Date, uuid → its text, decimal → a string (no precision lost), date/time →
 * their ISO text, bytes → text, base64 → a Buffer. Anything else passes through unchanged.
 */
export function reviveKombuJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reviveKombuJson);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 2 && '__type__' in record && '__value__' in record) {
    const revived = reviveMarker(record.__type__, record.__value__);
    if (revived !== undefined) return revived;
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = reviveKombuJson(record[key]);
  return out;
}

function reviveMarker(type: unknown, value: unknown): unknown {
  switch (type) {
    case 'datetime':
      return typeof value === 'string' ? (parseIsoTime(value) ?? value) : undefined;
    case 'date':
    case 'time':
    case 'decimal':
    case 'bytes':
      return typeof value === 'string' ? value : undefined;
    case 'base64':
      return typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
    case 'uuid': {
      const hex = (value as { hex?: unknown } | null)?.hex;
      if (typeof hex !== 'string' || !/^[0-9a-f]{32}$/i.test(hex)) return undefined;
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    default:
      return undefined;
  }
}
