// Girder's JSON encoding: keys sorted (json.dumps(sort_keys=True)) and datetimes as Python's
// isoformat() of a UTC datetime, e.g. "2024-05-01T12:00:00.123000+00:00".

/** Python's `datetime.replace(tzinfo=UTC).isoformat()` for a JS Date (millisecond precision, as Mongo keeps). */
export function pythonIsoFormat(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const ms = date.getUTCMilliseconds();
  const base = iso.slice(0, 19);
  return ms === 0 ? `${base}+00:00` : `${base}.${String(ms * 1000).padStart(6, '0')}+00:00`;
}

/** The value as Girder would put it on the wire: Dates become strings, object keys are sorted, undefined dropped. */
export function toGirderValue(value: unknown): unknown {
  if (value instanceof Date) return pythonIsoFormat(value);
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toGirderValue(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = toGirderValue(v);
    }
    return out;
  }
  return value;
}

export function toGirderJson(value: unknown): string {
  return JSON.stringify(toGirderValue(value === undefined ? null : value));
}
