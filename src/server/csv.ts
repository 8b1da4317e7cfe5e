/**
 * CSV export (RFC 4180): CRLF line ends, a header row, and a field quoted with `"` when it holds a comma, a
 * quote, CR or LF, inner quotes doubled (§2.6–2.7).
 *
 * Formula injection (OWASP "CSV Injection"): a field that starts with `=`, `+`, `-`, `@`, TAB or CR is run as
 * a formula by spreadsheet programs. List reasons can carry attacker-chosen text (a robot's task name, a
 * detector's message), so such fields are prefixed with `'`, which spreadsheets show and do not run. This is
 * the one deliberate change to the data; entity keys start with `ip:`, `robot:` or `sensor:` and never need it.
 */
import type { ListEntry } from '../core/records.js';

/** Media type of the export (RFC 4180 §3 registers `text/csv`; `header=present` says the first row names columns). */
export const CSV_MEDIA_TYPE = 'text/csv; charset=utf-8; header=present';

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: formula-neutralised, then quoted when RFC 4180 requires it. */
export function csvField(value: string): string {
  const v = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** Rows to CSV text; every row, the last included, ends with CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  let out = `${header.map(csvField).join(',')}\r\n`;
  for (const r of rows) out += `${r.map(csvField).join(',')}\r\n`;
  return out;
}

/** The list export: `list,entity,source,reason,created` with `created` as ISO 8601 UTC. */
export function listEntriesCsv(entries: readonly ListEntry[]): string {
  return toCsv(
    ['list', 'entity', 'source', 'reason', 'created'],
    entries.map((e) => [e.list, e.entity, e.source, e.reason, new Date(e.created_ms).toISOString()]),
  );
}
