/**
 * Opaque page cursors of the list queries (`GET /events`, `/alerts`, `/entities`).
 *
 * Keyset pagination: a cursor holds the sort key of the last item of a page (time in epoch milliseconds and a
 * string id as tie-breaker), and the next page is every row whose key sorts strictly after it in the
 * newest-first order, `(time, id) < (cursor.time, cursor.id)`. Unlike an offset, a key cursor neither skips
 * nor repeats rows when new rows arrive between page requests, and each page is an index range scan.
 *
 * Wire form: base64url (RFC 4648 §5, no padding) of the JSON array `[timeMs, id]`. Clients must treat it as
 * opaque; the form may change between versions.
 */
import { IpqsecError } from '../core/errors.js';

/** The sort key of one row: its time (`ts_ms` or `last_seen_ms`, epoch ms) and its id (unique tie-breaker). */
export interface CursorKey {
  readonly timeMs: number;
  readonly id: string;
}

/** Longest cursor string accepted (an id is at most a few hundred characters; anything longer is not ours). */
export const MAX_CURSOR_LENGTH = 2048;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Encodes a sort key as an opaque base64url string. */
export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.timeMs, key.id]), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor}.
 * @throws IpqsecError `IPQ-E004` (`cursor …`) when `cursor` is not base64url, not JSON, or not a
 *   `[finite number, string]` pair.
 */
export function decodeCursor(cursor: string): CursorKey {
  const bad = (why: string): IpqsecError =>
    new IpqsecError('IPQ-E004', `cursor is not one this server issued (${why})`, { details: { parameter: 'cursor' } });
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw bad('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('not JSON');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'number' ||
    !Number.isFinite(parsed[0]) ||
    typeof parsed[1] !== 'string'
  ) {
    throw bad('wrong shape');
  }
  return { timeMs: parsed[0], id: parsed[1] };
}
