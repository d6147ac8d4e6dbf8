/** A value in curl's config syntax (`--config`): double-quoted, with backslash escapes. */
export function curlQuote(value: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError('A curl setting holds a line break');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
