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

const LONE_SURROGATE = /\p{Cs}/u;

function fail(path: string, why: string): never {
  throw new TypeError(`canonical JSON: ${path}: ${why}`);
}

function writeString(s: string, path: string, out: string[]): void {
  if (LONE_SURROGATE.test(s)) fail(path, 'string holds a lone surrogate');
  out.push(JSON.stringify(s));
}

function write(v: unknown, path: string, depth: number, out: string[]): void {
  if (v === null) {
    out.push('null');
    return;
  }
  switch (typeof v) {
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(v)) fail(path, `number ${String(v)} is not finite`);
      out.push(JSON.stringify(v));
      return;
    case 'string':
      writeString(v, path, out);
      return;
    case 'object':
      break;
    default:
      fail(path, `a ${typeof v} is not a JSON value`);
  }
  if (depth >= MAX_JSON_DEPTH) fail(path, `nested deeper than ${MAX_JSON_DEPTH}`);
  if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',');
      if (!(i in v)) fail(`${path}[${i}]`, 'sparse array slot');
      write(v[i], `${path}[${i}]`, depth + 1, out);
    }
    out.push(']');
    return;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) fail(path, 'not a plain object (a class instance, Date, Map, …)');
  if (Object.getOwnPropertySymbols(v).length > 0) fail(path, 'object has symbol keys');
  const o = v as Record<string, unknown>;
  // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
  const keys = Object.keys(o).sort();
  out.push('{');
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (i > 0) out.push(',');
    writeString(k, `${path}.${k}`, out);
    out.push(':');
    write(o[k], `${path}.${k}`, depth + 1, out);
  }
  out.push('}');
}

/**
 * The RFC 8785 canonical serialisation of `value` as a string.
 *
 * Cost: O(size of the value) plus the key sorts.
 * @throws TypeError when `value` is outside the accepted value set (the message names the path, e.g. `$.data[2]`)
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, '$', 0, out);
  return out.join('');
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
