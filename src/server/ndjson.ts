/**
 * Newline-delimited JSON (NDJSON, https://github.com/ndjson/ndjson-spec; also "JSON Lines"): one JSON value per
 * line, lines separated by `\n` (a `\r` before it is tolerated). Blank and whitespace-only lines are skipped, so
 * a trailing newline is fine. Media type `application/x-ndjson`.
 */
import { IpqsecError } from '../core/errors.js';

/** The NDJSON media type (`Content-Type: application/x-ndjson`). */
export const NDJSON_MEDIA_TYPE = 'application/x-ndjson';

/**
 * Parses an NDJSON text into its values, in order.
 *
 * Cost: one `JSON.parse` per line; stops at the first bad line and as soon as `maxItems` is exceeded (so an
 * oversized body is refused without parsing all of it).
 *
 * @throws IpqsecError IPQ-E003 naming the 1-based line number when a line is not valid JSON;
 *   IPQ-E002 when there are more than `maxItems` values
 */
export function parseNdjson(text: string, maxItems: number): unknown[] {
  const out: unknown[] = [];
  let start = 0;
  let line = 0;
  const n = text.length;
  while (start <= n) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = n;
    line++;
    const raw = text.slice(start, end);
    start = end + 1;
    if (raw.trim() === '') {
      if (end === n) break;
      continue;
    }
    if (out.length === maxItems) {
      throw new IpqsecError('IPQ-E002', `more than ${maxItems} events in one NDJSON body`, {
        location: { line },
        details: { limit: maxItems },
      });
    }
    try {
      out.push(JSON.parse(raw));
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new IpqsecError('IPQ-E003', `this NDJSON line is not JSON (${why})`, { location: { line } });
    }
    if (end === n) break;
  }
  return out;
}
