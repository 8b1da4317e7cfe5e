/**
 * Byte helpers shared by the protocol analyzers (folder-private): range clamping, text decoding of small slices,
 * ASCII comparisons without building strings. Nothing here allocates except the decoders, which return the
 * string they build (called once per event, never per byte).
 */
import { Buffer } from 'node:buffer';

const utf8 = new TextDecoder('utf-8');

/** Clamps `[off, off + len)` to `data`; returns the clamped end offset and writes the start to `out[0]`.
 * Non-integer or negative values count as 0. Never throws. */
export function clampRange(data: Uint8Array, off: number, len: number, out: Int32Array): number {
  const size = data.length;
  const o = Number.isFinite(off) && off > 0 ? Math.min(Math.floor(off), size) : 0;
  const n = Number.isFinite(len) && len > 0 ? Math.floor(len) : 0;
  out[0] = o;
  return Math.min(o + n, size);
}

/** `b[start, end)` as Latin-1: every byte maps to the code point of the same value, so nothing is lost. */
export function latin1(b: Uint8Array, start: number, end: number): string {
  if (end <= start) return '';
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

/** `b[start, end)` as UTF-8 (invalid sequences become U+FFFD, as MQTT 3.1.1 §1.5.3 allows a receiver to flag). */
export function utf8Slice(b: Uint8Array, start: number, end: number): string {
  if (end <= start) return '';
  return utf8.decode(b.subarray(start, end));
}

/** True when `b[at, at + s.length)` equals the ASCII string `s` (exact case). */
export function startsWithAscii(b: Uint8Array, at: number, end: number, s: string): boolean {
  if (end - at < s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** ASCII lower-case of one byte (other bytes unchanged). */
export function lowerAscii(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** True when `b[at, at + s.length)` equals `s` ignoring ASCII case; `s` must be lower case. */
export function startsWithAsciiCi(b: Uint8Array, at: number, end: number, s: string): boolean {
  if (end - at < s.length) return false;
  for (let i = 0; i < s.length; i++) if (lowerAscii(b[at + i]!) !== s.charCodeAt(i)) return false;
  return true;
}

/** Index of the first occurrence of lower-case `s` in `b[start, end)` ignoring ASCII case, or -1. O(n·|s|). */
export function indexOfAsciiCi(b: Uint8Array, start: number, end: number, s: string): number {
  const last = end - s.length;
  const c0 = s.charCodeAt(0);
  for (let i = start; i <= last; i++) {
    if (lowerAscii(b[i]!) === c0 && startsWithAsciiCi(b, i, end, s)) return i;
  }
  return -1;
}

/** True for the octets RFC 9110 §5.6.2 allows in a `token` (tchar). */
export function isTchar(c: number): boolean {
  if (c >= 0x30 && c <= 0x39) return true; // DIGIT
  if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) return true; // ALPHA
  // "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
  return c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e;
}
