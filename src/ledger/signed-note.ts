/**
 * C2SP signed-note (c2sp.org/signed-note): text signed by one or more keys.
 *
 * Byte format: the note text (UTF-8, ending in a newline), one empty line, then one or more signature lines
 * `— <key name> <base64(4-byte key ID || signature)>\n` (U+2014 EM DASH, U+0020 SPACE). The text may contain empty
 * lines; it ends at the *last* empty line. The whole note is valid UTF-8 without control characters other than
 * newline. Key names are non-empty and contain no Unicode spaces and no `+`. Base64 is RFC 4648 §4 with padding.
 *
 * Key ID (recommended by the spec, used for every IPqSEC key): `SHA-256(key name || 0x0A || type || public key)[:4]`,
 * where `type` is the signature type identifier (one byte, or 0xff and a longer identifier).
 *
 * Verifier key string (the golang.org/x/mod/sumdb/note "vkey" form): `<name>+<key ID as 8 lowercase hex
 * digits>+<base64(type || public key)>`.
 *
 * Limits: a note is at most {@link MAX_NOTE_BYTES} and holds at most {@link MAX_NOTE_SIGNATURES} signature lines
 * (the spec asks for at least 16; ML-DSA-65 lines are about 4.4 kB).
 */
import { IpqsecError } from '../core/errors.js';
import { bytesEqual, concatBytes, controlCharAt, fromBase64, sha256, toBase64, toHex, utf8 } from './_bytes.js';
import type { NoteSigner, NoteVerifier } from './note-signer.js';

/** Largest accepted note, in bytes of UTF-8. */
export const MAX_NOTE_BYTES = 1 << 20;
/** Most signature lines accepted in one note. */
export const MAX_NOTE_SIGNATURES = 64;

/** One signature line: key name, 4-byte key ID and the signature bytes that follow it. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly signature: Uint8Array;
}

/** A parsed signed note: the text (with its final newline) and its signatures in order. */
export interface Note {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

const EM_DASH = '\u2014';
// Unicode White_Space, which is what "Unicode spaces" means in the spec.
const SPACE = /[\s\u0085]/u;
const LONE_SURROGATE = /\p{Cs}/u;

/** True when `name` is a valid key name: non-empty, no Unicode spaces, no `+`, no control characters. */
export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && !SPACE.test(name) && !name.includes('+') && controlCharAt(name, false) < 0 && !LONE_SURROGATE.test(name);
}

/** The key ID `SHA-256(name || 0x0A || typeAndKey)[:4]`, where `typeAndKey` = signature type || public key. */
export function keyIdOf(name: string, typeAndKey: Uint8Array): Uint8Array {
  return sha256(utf8(name), new Uint8Array([0x0a]), typeAndKey).slice(0, 4);
}

/** The verifier key string `name+<key id hex>+base64(type || public key)`. @throws TypeError for an invalid name */
export function formatVerifierKey(name: string, typeAndKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new TypeError(`invalid note key name ${JSON.stringify(name)}`);
  return `${name}+${toHex(keyIdOf(name, typeAndKey))}+${toBase64(typeAndKey)}`;
}

/** A parsed verifier key string. */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: Uint8Array;
  /** Signature type identifier followed by the public key. */
  readonly typeAndKey: Uint8Array;
}

/**
 * Parses a verifier key string and checks that its key ID matches the name and key.
 * @throws IpqsecError `IPQ-L004` when malformed; never anything else
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  if (typeof vkey !== 'string') throw new IpqsecError('IPQ-L004', 'verifier key: not a string');
  const shown = vkey.length > 60 ? `${vkey.slice(0, 60)}…` : vkey;
  // name and key ID contain no "+"; the base64 key may.
  const p1 = vkey.indexOf('+');
  const p2 = p1 < 0 ? -1 : vkey.indexOf('+', p1 + 1);
  if (p2 < 0) throw new IpqsecError('IPQ-L004', `verifier key "${shown}": expected name+keyid+key`);
  const name = vkey.slice(0, p1);
  const idHex = vkey.slice(p1 + 1, p2);
  const b64 = vkey.slice(p2 + 1);
  if (!isValidKeyName(name)) throw new IpqsecError('IPQ-L004', `verifier key "${shown}": invalid key name`);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new IpqsecError('IPQ-L004', `verifier key "${shown}": key id must be 8 lowercase hex digits`);
  const typeAndKey = fromBase64(b64);
  if (typeAndKey === undefined || typeAndKey.length < 2) throw new IpqsecError('IPQ-L004', `verifier key "${shown}": key is not valid base64`);
  const keyId = keyIdOf(name, typeAndKey);
  if (toHex(keyId) !== idHex) throw new IpqsecError('IPQ-L004', `verifier key "${shown}": key id ${idHex} does not match the key (expected ${toHex(keyId)})`);
  return { name, keyId, typeAndKey };
}

/** One signature line without its newline: `— name base64(keyId || signature)`. @throws TypeError for a bad name or key ID */
export function formatSignatureLine(s: NoteSignature): string {
  if (!isValidKeyName(s.name)) throw new TypeError(`invalid note key name ${JSON.stringify(s.name)}`);
  if (s.keyId.length !== 4) throw new TypeError('note key ID must be 4 bytes');
  return `${EM_DASH} ${s.name} ${toBase64(concatBytes(s.keyId, s.signature))}`;
}

function lineError(line: number, why: string): IpqsecError {
  return new IpqsecError('IPQ-L004', `signed note line ${line}: ${why}`, { location: { line } });
}

/**
 * Parses one signature line (with or without its final newline).
 * @param line 1-based line number named in errors
 * @throws IpqsecError `IPQ-L004` naming the line; never anything else
 */
export function parseSignatureLine(text: string, line = 1): NoteSignature {
  if (typeof text !== 'string') throw lineError(line, 'not a string');
  const s = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (controlCharAt(s, false) >= 0) throw lineError(line, 'signature line holds a control character or newline');
  if (!s.startsWith(`${EM_DASH} `)) throw lineError(line, 'signature line must start with "— " (U+2014, space)');
  const rest = s.slice(2);
  const sp = rest.indexOf(' ');
  if (sp < 0) throw lineError(line, 'signature line must be "— <name> <base64>"');
  const name = rest.slice(0, sp);
  const b64 = rest.slice(sp + 1);
  if (!isValidKeyName(name)) throw lineError(line, `invalid key name ${JSON.stringify(name.slice(0, 80))}`);
  const raw = fromBase64(b64);
  if (raw === undefined) throw lineError(line, 'signature is not valid base64 (RFC 4648 §4, padded)');
  if (raw.length < 5) throw lineError(line, 'signature shorter than a key ID and one byte');
  return { name, keyId: raw.slice(0, 4), signature: raw.slice(4) };
}

/**
 * Parses a signed note strictly (C2SP signed-note "Format").
 * @throws IpqsecError `IPQ-L004` naming the offending line (1-based); never anything else
 */
export function parseNote(note: string): Note {
  if (typeof note !== 'string') throw new IpqsecError('IPQ-L004', 'signed note: not a string');
  if (LONE_SURROGATE.test(note)) throw new IpqsecError('IPQ-L004', 'signed note: not valid UTF-8 (lone surrogate)');
  if (utf8(note).length > MAX_NOTE_BYTES) throw new IpqsecError('IPQ-L004', `signed note: larger than ${MAX_NOTE_BYTES} bytes`);
  const bad = controlCharAt(note, true);
  if (bad >= 0) {
    const line = note.slice(0, bad).split('\n').length;
    throw lineError(line, `control character U+${note.charCodeAt(bad).toString(16).padStart(4, '0').toUpperCase()}`);
  }
  if (!note.endsWith('\n')) throw new IpqsecError('IPQ-L004', 'signed note: does not end with a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new IpqsecError('IPQ-L004', 'signed note: no empty line between the text and the signatures');
  const text = note.slice(0, split + 1);
  const firstSigLine = text.split('\n').length + 1;
  const sigLines = note.slice(split + 2, -1).split('\n');
  if (sigLines.length === 1 && sigLines[0] === '') throw lineError(firstSigLine, 'no signature lines after the empty line');
  if (sigLines.length > MAX_NOTE_SIGNATURES) throw lineError(firstSigLine + MAX_NOTE_SIGNATURES, `more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures = sigLines.map((l, i) => parseSignatureLine(l, firstSigLine + i));
  return { text, signatures };
}

/** The note as text: `text`, an empty line, one line per signature. @throws TypeError when the text is not note text */
export function formatNote(n: Note): string {
  checkText(n.text);
  if (n.signatures.length === 0) throw new TypeError('a signed note needs at least one signature');
  return `${n.text}\n${n.signatures.map((s) => `${formatSignatureLine(s)}\n`).join('')}`;
}

function checkText(text: string): void {
  if (typeof text !== 'string' || !text.endsWith('\n') || controlCharAt(text, true) >= 0 || LONE_SURROGATE.test(text)) {
    throw new TypeError('note text must be valid text ending in a newline, without control characters other than newline');
  }
}

/**
 * Signs `text` with every signer, in order, and returns the note.
 * @throws TypeError when `text` is not note text or no signer is given
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkText(text);
  const message = utf8(text);
  return formatNote({ text, signatures: signers.map((s) => ({ name: s.name, keyId: s.keyId, signature: s.sign(message) })) });
}

/** Result of {@link verifyNote}. */
export interface NoteVerification {
  /** Names of the verifiers whose signature is present and valid (each at most once). */
  readonly verified: readonly string[];
  /** Names of the verifiers with a signature line (same name and key ID) that does not verify. */
  readonly failed: readonly string[];
  /** Signature lines from keys not among the verifiers (ignored, as the spec requires). */
  readonly unknown: number;
}

/**
 * Checks a parsed note's signatures against known keys: a line matches a verifier when both its name and key ID
 * match (C2SP signed-note "Signatures"); other lines are ignored. Never throws.
 */
export function verifyNote(note: Note, verifiers: readonly NoteVerifier[]): NoteVerification {
  const message = utf8(note.text);
  const verified = new Set<string>();
  const failed = new Set<string>();
  let unknown = 0;
  for (const s of note.signatures) {
    const v = verifiers.find((k) => k.name === s.name && bytesEqual(k.keyId, s.keyId));
    if (v === undefined) {
      unknown++;
      continue;
    }
    let ok = false;
    try {
      ok = v.verify(message, s.signature);
    } catch {
      ok = false;
    }
    if (ok) verified.add(v.name);
    else failed.add(v.name);
  }
  return { verified: [...verified], failed: [...failed], unknown };
}

/**
 * Adds signature lines (e.g. witness cosignatures, each `— name base64`, with or without a newline) to a signed
 * note; a line already present (same name, key ID and signature) is not repeated.
 * @throws IpqsecError `IPQ-L004` when the note or a line is malformed, or the result would exceed the limits
 */
export function appendSignatureLines(note: string, lines: readonly string[]): string {
  const n = parseNote(note);
  const sigs = [...n.signatures];
  const key = (s: NoteSignature) => `${s.name} ${toHex(s.keyId)} ${toBase64(s.signature)}`;
  const seen = new Set(sigs.map(key));
  lines.forEach((l, i) => {
    const s = parseSignatureLine(l, i + 1);
    if (!seen.has(key(s))) {
      seen.add(key(s));
      sigs.push(s);
    }
  });
  if (sigs.length > MAX_NOTE_SIGNATURES) throw new IpqsecError('IPQ-L004', `signed note: more than ${MAX_NOTE_SIGNATURES} signatures`);
  return formatNote({ text: n.text, signatures: sigs });
}
