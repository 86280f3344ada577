import { stringify } from 'csv-stringify/sync';

/** Nested objects become columns joined by `_` (`bookings: {confirmed}` → `bookings_confirmed`). */
function flatten(row: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(row)) {
    if (v !== null && typeof v === 'object' && !(v instanceof Date)) flatten(v as Record<string, unknown>, `${prefix}${k}_`, out);
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/**
 * RFC 4180 CSV with a header row. Values a spreadsheet would run as a formula (an event title
 * starting with `=`, `+`, `-`, `@`) are prefixed with `'`: titles come from organisers.
 */
export function toCsv(rows: Record<string, unknown>[]): string {
  const flat = rows.map((r) => flatten(r));
  const all = [...new Set(flat.flatMap((r) => Object.keys(r)))];
  // A nested value that is null in some rows (an event's revenue before its first booking) is its
  // sub-columns left empty there, not a column of its own.
  const columns = all.filter((c) => !(all.some((o) => o.startsWith(`${c}_`)) && flat.every((r) => r[c] === null || r[c] === undefined)));
  if (!flat.length) return '';
  // A line break inside a value is quoted: unquoted, it would start a new row (whose first cell no
  // formula escape looks at).
  return stringify(flat, { header: true, columns, escape_formulas: true, quoted_match: /[\r\n]/, record_delimiter: 'windows', cast: { boolean: (b) => String(b) } });
}
