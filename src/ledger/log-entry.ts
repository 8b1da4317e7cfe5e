/**
 * One entry of the tamper-evident log: a security decision (an alert raised, a device enrolled, a key or list or
 * model changed) in its canonical byte form, which is what the Merkle tree commits to (leaf input of RFC 9162
 * §2.1.1).
 *
 * Encoding: the RFC 8785 (JCS) canonical JSON of the object `{ v, kind, ts_ms, subject, data }` in UTF-8, e.g.
 * `{"data":{"risk":0.91},"kind":"alert","subject":"ip:10.0.0.7","ts_ms":1754035200000,"v":1}`. Because JCS is
 * deterministic, equal entries have equal bytes, and {@link decodeLogEntry} accepts only the canonical bytes, so
 * every entry has exactly one encoding and one leaf hash.
 */
import { IpqsecError } from '../core/errors.js';
import { canonicalJsonMember, canonicalJsonString, parseCanonicalJson, type JsonValue } from './canonical-json.js';

/** What a log entry records. */
export type LogEntryKind = 'alert' | 'enrollment' | 'key' | 'list' | 'model';

/** Every {@link LogEntryKind}, in a stable order. */
export const LOG_ENTRY_KINDS: readonly LogEntryKind[] = Object.freeze(['alert', 'enrollment', 'key', 'list', 'model']);

/** Longest accepted `subject`, in UTF-16 code units. */
export const MAX_SUBJECT_LENGTH = 1024;

/**
 * A log entry.
 * - `v`: format version, always 1.
 * - `kind`: what was decided.
 * - `ts_ms`: when, epoch milliseconds (safe integer >= 0).
 * - `subject`: the entity, device, key or model the decision is about (non-empty, at most {@link MAX_SUBJECT_LENGTH}).
 * - `data`: the decision's fields, a JSON value of the RFC 8785 value set (finite numbers, no lone surrogates).
 */
export interface LogEntry {
  readonly v: 1;
  readonly kind: LogEntryKind;
  readonly ts_ms: number;
  readonly subject: string;
  readonly data: JsonValue;
}

const FIELDS = ['data', 'kind', 'subject', 'ts_ms', 'v'];

/** Why `e` is not a valid entry, or undefined when it is. `data` is checked by the canonical encoder. */
function entryProblem(e: Record<string, unknown>): string | undefined {
  // Exactly the five fields: counted here (cheap), named only when wrong.
  let n = 0;
  for (const k in e) if (Object.hasOwn(e, k)) n++;
  if (n !== FIELDS.length || !FIELDS.every((f) => Object.hasOwn(e, f))) {
    return `fields must be exactly ${FIELDS.join(', ')}, got ${Object.keys(e).sort().join(', ')}`;
  }
  if (e.v !== 1) return `v must be 1, got ${JSON.stringify(e.v)}`;
  if (typeof e.kind !== 'string' || !(LOG_ENTRY_KINDS as readonly string[]).includes(e.kind)) return `kind must be one of ${LOG_ENTRY_KINDS.join(', ')}, got ${JSON.stringify(e.kind)}`;
  if (typeof e.ts_ms !== 'number' || !Number.isSafeInteger(e.ts_ms) || e.ts_ms < 0) return `ts_ms must be an integer >= 0 (epoch ms), got ${JSON.stringify(e.ts_ms)}`;
  if (typeof e.subject !== 'string' || e.subject.length === 0 || e.subject.length > MAX_SUBJECT_LENGTH) return `subject must be a string of 1..${MAX_SUBJECT_LENGTH} characters`;
  return undefined;
}

/**
 * The canonical bytes of `e` (the leaf input of its Merkle tree leaf).
 * @throws TypeError when `e` is not a valid {@link LogEntry} (wrong or extra fields, a non-JSON value in `data`)
 */
export function encodeLogEntry(e: LogEntry): Uint8Array {
  return UTF8.encode(encodeLogEntryText(e));
}

const UTF8 = new TextEncoder();

/**
 * The canonical text of `e` (its UTF-8 encoding is {@link encodeLogEntry}): for a caller that stores the text and
 * hashes the bytes, without decoding the bytes back.
 * @throws TypeError as {@link encodeLogEntry}
 */
export function encodeLogEntryText(e: LogEntry): string {
  if (typeof e !== 'object' || e === null) throw new TypeError('log entry: not an object');
  const why = entryProblem(e as unknown as Record<string, unknown>);
  if (why !== undefined) throw new TypeError(`log entry: ${why}`);
  // The top level written directly, members in RFC 8785 order (data, kind, subject, ts_ms, v); `kind` is one of
  // LOG_ENTRY_KINDS (no escapes) and `ts_ms` a safe integer. Same bytes as canonicalJson of the whole object.
  return `{"data":${canonicalJsonMember(e.data, 'data')},"kind":"${e.kind}","subject":${canonicalJsonString(e.subject)},"ts_ms":${e.ts_ms},"v":1}`;
}

/**
 * Decodes canonical entry bytes.
 * @param index the entry's index, named in error messages when given
 * @throws IpqsecError `IPQ-L004` when the bytes are not the canonical encoding of a valid entry; never anything else
 */
export function decodeLogEntry(bytes: Uint8Array, index?: number): LogEntry {
  const what = index === undefined ? 'log entry' : `log entry ${index}`;
  const v = parseCanonicalJson(bytes, what);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new IpqsecError('IPQ-L004', `${what}: not a JSON object`);
  const why = entryProblem(v as Record<string, unknown>);
  if (why !== undefined) throw new IpqsecError('IPQ-L004', `${what}: ${why}`);
  const o = v as Record<string, unknown>;
  return Object.freeze({ v: 1, kind: o.kind as LogEntryKind, ts_ms: o.ts_ms as number, subject: o.subject as string, data: o.data as JsonValue });
}

