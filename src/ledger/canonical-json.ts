/**
 * Canonical JSON: the JSON Canonicalization Scheme (JCS, RFC 8785) for the values IPqSEC logs.
 *
 * The value set is I-JSON (RFC 7493): `null`, booleans, finite IEEE-754 numbers, strings without lone surrogates,
 * arrays and plain objects. Serialisation (RFC 8785 §3.2):
 * - no whitespace;
 * - literals `null`, `true`, `false`;
 * - numbers as ECMAScript `Number.prototype.toString` (§3.2.2.3; `-0` is `0`), which is what `JSON.stringify`
 *   writes for a finite number;
 * - strings (§3.2.2.2) with `\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r`, other U+0000..U+001F as `\u00xx` (lowercase
 *   hex), everything else as is (UTF-8 on the wire);
 * - object members sorted by the UTF-16 code units of their names (§3.2.3), recursively; arrays keep their order.
 *
 * What is refused (a `TypeError` when encoding, since the caller built the value; `IPQ-L004` when decoding):
 * `NaN`/`±Infinity`, lone surrogates (in values and names), `undefined`, functions, symbols, bigints, sparse
 * array slots, objects whose prototype is not `Object.prototype` or `null` (Date, Map, class instances, …), and
 * nesting deeper than {@link MAX_JSON_DEPTH}.
 */
import { IpqsecError } from '../core/errors.js';

/** A JSON value of the I-JSON subset (RFC 7493) that {@link canonicalJson} accepts. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Deepest nesting of arrays/objects accepted (the top level is depth 1). */
export const MAX_JSON_DEPTH = 64;

// `String.prototype.isWellFormed` (ES2024; Node >= 20) is false exactly when a string holds a lone surrogate, as
// /\p{Cs}/u tests, at a fraction of the regular expression's cost.
const hasLoneSurrogate = (s: string): boolean => !(s as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Where a value sits (`$`, `$.data`, `$.data[2]`), built only when an error needs it: the encoder passes the parent
 * frame and the key down instead of concatenating a path string at every member (measured 2026-11-21 on log
 * entries of ~240 bytes: 145,000 → see docs/benchmarks.md, bench:pqc "core").
 */
interface PathFrame {
  readonly parent: PathFrame | undefined;
  readonly key: string | number;
}

function pathOf(frame: PathFrame | undefined, key?: string | number): string {
  const parts: (string | number)[] = key === undefined ? [] : [key];
  for (let f = frame; f !== undefined; f = f.parent) parts.push(f.key);
  let out = '$';
  for (let i = parts.length - 1; i >= 0; i--) {
    const k = parts[i]!;
    if (k === '$') continue;
    out += typeof k === 'number' ? `[${k}]` : `.${k}`;
  }
  return out;
}

function fail(frame: PathFrame | undefined, key: string | number | undefined, why: string): never {
  throw new TypeError(`canonical JSON: ${pathOf(frame, key)}: ${why}`);
}

/** True when `s` holds a character RFC 8785 §3.2.2.2 escapes: `"`, `\\` or U+0000..U+001F. */
function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return true;
  }
  return false;
}

function str(s: string, frame: PathFrame | undefined, key: string | number | undefined): string {
  if (hasLoneSurrogate(s)) fail(frame, key, 'string holds a lone surrogate');
  // Most strings (ids, enumerations, addresses) need no escape: quoting them directly skips JSON.stringify.
  return needsEscape(s) ? JSON.stringify(s) : `"${s}"`;
}

/** The canonical text of `v`, found at `key` under `frame` (string concatenation: V8 builds ropes, no copies). */
function write(v: unknown, frame: PathFrame | undefined, key: string | number, depth: number): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) fail(frame, key, `number ${String(v)} is not finite`);
      return JSON.stringify(v);
    case 'string':
      return str(v, frame, key);
    case 'object':
      break;
    default:
      fail(frame, key, `a ${typeof v} is not a JSON value`);
  }
  if (depth >= MAX_JSON_DEPTH) fail(frame, key, `nested deeper than ${MAX_JSON_DEPTH}`);
  const here: PathFrame = { parent: frame, key };
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += ',';
      if (!(i in v)) fail(here, i, 'sparse array slot');
      out += write(v[i], here, i, depth + 1);
    }
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) fail(frame, key, 'not a plain object (a class instance, Date, Map, …)');
  if (Object.getOwnPropertySymbols(v).length > 0) fail(frame, key, 'object has symbol keys');
  const o = v as Record<string, unknown>;
  // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
  const keys = Object.keys(o).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i > 0) out += ',';
    out += `${str(k, here, k)}:${write(o[k], here, k, depth + 1)}`;
  }
  return `${out}}`;
}

/**
 * The RFC 8785 canonical serialisation of `value` as a string.
 *
 * Cost: O(size of the value) plus the key sorts.
 * @throws TypeError when `value` is outside the accepted value set (the message names the path, e.g. `$.data[2]`)
 */
export function canonicalJson(value: unknown): string {
  return write(value, undefined, '$', 0);
}

/**
 * {@link canonicalJson} of a value that sits at member `key` of a top-level object (errors name `$.key…`), for an
 * encoder that writes the top level itself.
 * @throws TypeError as {@link canonicalJson}
 */
export function canonicalJsonMember(value: unknown, key: string): string {
  return write(value, { parent: undefined, key: '$' }, key, 1);
}

/** The canonical form of a string (RFC 8785 §3.2.2.2). @throws TypeError for a lone surrogate */
export function canonicalJsonString(s: string): string {
  return str(s, undefined, '$');
}

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The UTF-8 bytes of {@link canonicalJson}(`value`). @throws TypeError as {@link canonicalJson} */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return UTF8_ENCODER.encode(canonicalJson(value));
}

/**
 * Parses bytes that must be the canonical form (RFC 8785) of a JSON value: valid UTF-8, valid JSON, and byte for
 * byte equal to the re-serialisation of what it parses to (so no whitespace, sorted unique member names, shortest
 * number forms, minimal string escapes).
 *
 * @param what names the input in error messages, e.g. `log entry 17`
 * @throws IpqsecError `IPQ-L004` naming `what` and the reason; never anything else
 */
export function parseCanonicalJson(bytes: Uint8Array, what = 'JSON'): JsonValue {
  let text: string;
  try {
    text = UTF8_DECODER.decode(bytes);
  } catch {
    throw new IpqsecError('IPQ-L004', `${what}: not valid UTF-8`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new IpqsecError('IPQ-L004', `${what}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  let canonical: string;
  try {
    canonical = canonicalJson(value);
  } catch (e) {
    throw new IpqsecError('IPQ-L004', `${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (canonical !== text) {
    let at = 0;
    while (at < text.length && text[at] === canonical[at]) at++;
    throw new IpqsecError('IPQ-L004', `${what}: not in canonical form (RFC 8785), first difference at character ${at}`, {
      details: { offset: at },
    });
  }
  return value as JsonValue;
}
