/**
 * Small pieces of Python's text forms that Celery puts on the wire: ISO-8601 times with an
 * explicit `+00:00` offset (what `datetime.isoformat()` writes; `Z` needs Python ≥ 3.11), and
 * `saferepr`-like previews of arguments (`argsrepr`, `kwargsrepr`).
 */

/** `2026-11-21T11:52:59.447000+00:00`: microseconds, UTC, as Python prints an aware datetime. */
export function toPythonIsoTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

/** Parses an ISO-8601 time (`Z` or an offset; no offset means UTC); undefined if it is not one. */
export function parseIsoTime(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(text.trim())) {
    return undefined;
  }
  let normalized = text.trim().replace(' ', 'T');
  // JS keeps milliseconds only; Python may send microseconds.
  normalized = normalized.replace(/(\.\d{3})\d+/, '$1');
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(normalized)) normalized += 'Z';
  const date = new Date(normalized);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const MAX_REPR = 1024;

/** Python's repr of a tuple of arguments: `('busybox',)`, `(2, 2)`. */
export function argsRepr(args: readonly unknown[], max = MAX_REPR): string {
  const inner = args.map((a) => pyRepr(a)).join(', ');
  return truncate(args.length === 1 ? `(${inner},)` : `(${inner})`, max);
}

/** Python's repr of a dict of keyword arguments: `{'pull_image': False}`. */
export function kwargsRepr(kwargs: Readonly<Record<string, unknown>>, max = MAX_REPR): string {
  return truncate(pyRepr(kwargs), max);
}

export function pyRepr(value: unknown, depth = 0): string {
  if (depth > 8) return '...';
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'inf' : '-inf';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyRepr(v, depth + 1)).join(', ')}]`;
  if (value instanceof Date) return `datetime(${pyString(toPythonIsoTime(value))})`;
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto === Object.prototype || proto === null) {
      const entries = Object.entries(value as Record<string, unknown>).map(
        ([k, v]) => `${pyString(k)}: ${pyRepr(v, depth + 1)}`,
      );
      return `{${entries.join(', ')}}`;
    }
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the default '[object …]' form is caught just below
    const text = String(value);
    return text.startsWith('[object') ? `<${name} object>` : `<${name}: ${text}>`;
  }
  return `<${typeof value}>`;
}

function pyString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
