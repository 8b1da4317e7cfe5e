/**
 * In-browser verification of the tamper-evident log's latest checkpoint (docs/ledger.md) with the log's published
 * key, so that an operator does not have to trust the server's word that its log is intact.
 *
 * Formats (the server's src/ledger/, restated here because the dashboard imports nothing from src/):
 * - C2SP signed-note (https://c2sp.org/signed-note): the note text (ending in LF), an empty line, then signature
 *   lines `— <key name> <base64(4-byte key ID || signature)>` (U+2014, U+0020). The text ends at the LAST empty line.
 * - C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): text lines origin, tree size (decimal, no leading
 *   zeros), root hash (base64 of 32 bytes), optional extension lines.
 * - Verifier key (golang.org/x/mod/sumdb/note "vkey"): `<name>+<key ID, 8 lowercase hex>+<base64(type || public key)>`.
 *   Key ID = SHA-256(name || 0x0A || type || public key)[:4].
 * - IPqSEC note signatures: type = 0xFF || "ipqsec/note/ml-dsa-65" (22 bytes), ML-DSA-65 (FIPS 204) over the
 *   UTF-8 note text with context string "ipqsec-signed-note-v1"; public key 1,952 bytes, signature 3,309 bytes.
 *
 * Signature lines of other keys (witness cosignatures) are counted, not verified (the spec says to ignore unknown
 * keys). Verification uses @noble/post-quantum's ML-DSA-65 and @noble/hashes' SHA-256; nothing here is a primitive.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';

const enc = new TextEncoder();
const EM_DASH = '\u2014';
/** Signature type of IPqSEC ML-DSA-65 note keys: 0xFF || "ipqsec/note/ml-dsa-65". */
export const ML_DSA_65_NOTE_TYPE = new Uint8Array([0xff, ...enc.encode('ipqsec/note/ml-dsa-65')]);
/** ML-DSA context string of note signatures. */
export const NOTE_SIGNATURE_CONTEXT = enc.encode('ipqsec-signed-note-v1');
/** ML-DSA-65 public key length (FIPS 204 Table 2). */
export const ML_DSA_65_PUBLIC_KEY_BYTES = 1952;
/** Largest note accepted (1 MiB, as the server). */
export const MAX_NOTE_CHARS = 1 << 20;

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict RFC 4648 §4 base64 (padded) to bytes, or null. */
export function fromBase64(s: string): Uint8Array | null {
  if (!B64.test(s)) return null;
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** Key name rule of signed-note: non-empty, no Unicode white space, no `+`, no control characters. */
export function isValidKeyName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return name.length > 0 && !/[\s\u0085+]/u.test(name) && !/[\u0000-\u001f]/.test(name);
}

/** A signature line. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly signature: Uint8Array;
}

/** Thrown for a malformed note, key or checkpoint; the message names what is wrong. */
export class FormatError extends Error {
  override readonly name = 'FormatError';
}

/** Splits a signed note into its text and signature lines (signed-note "Format"). @throws FormatError */
export function parseSignedNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (note.length > MAX_NOTE_CHARS) throw new FormatError('note larger than 1 MiB');
  if (!note.endsWith('\n')) throw new FormatError('note does not end with a newline');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) throw new FormatError('note holds a control character');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new FormatError('no empty line between the text and the signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length === 1 && lines[0] === '') throw new FormatError('no signature lines');
  const signatures = lines.map((l, i) => {
    if (!l.startsWith(`${EM_DASH} `)) throw new FormatError(`signature line ${i + 1} does not start with "— "`);
    const rest = l.slice(2);
    const sp = rest.indexOf(' ');
    if (sp < 0) throw new FormatError(`signature line ${i + 1} is not "— <name> <base64>"`);
    const name = rest.slice(0, sp);
    if (!isValidKeyName(name)) throw new FormatError(`signature line ${i + 1}: invalid key name`);
    const raw = fromBase64(rest.slice(sp + 1));
    if (raw === null || raw.length < 5) throw new FormatError(`signature line ${i + 1}: bad base64 signature`);
    return { name, keyId: raw.slice(0, 4), signature: raw.slice(4) };
  });
  return { text, signatures };
}

/** A checkpoint's content. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  /** Root hash, base64 as in the note. */
  readonly rootHash: string;
  readonly extensions: readonly string[];
}

/** Parses checkpoint note text (tlog-checkpoint). @throws FormatError */
export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new FormatError('a checkpoint needs origin, tree size and root hash lines');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!isValidKeyName(origin)) throw new FormatError('checkpoint origin is not a valid key name');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new FormatError('checkpoint tree size is not a decimal integer');
  const root = fromBase64(rootText);
  if (root === null || root.length !== 32) throw new FormatError('checkpoint root hash is not base64 of 32 bytes');
  if (extensions.some((e) => e.length === 0)) throw new FormatError('empty checkpoint extension line');
  return { origin, size: Number(sizeText), rootHash: rootText, extensions };
}

/** A parsed ML-DSA-65 note verifier key. */
export interface NoteKey {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Key ID of a signed-note key: SHA-256(name || 0x0A || type || public key)[:4]. */
export function keyIdOf(name: string, typeAndKey: Uint8Array): Uint8Array {
  const n = enc.encode(name);
  const buf = new Uint8Array(n.length + 1 + typeAndKey.length);
  buf.set(n, 0);
  buf[n.length] = 0x0a;
  buf.set(typeAndKey, n.length + 1);
  return sha256(buf).slice(0, 4);
}

/**
 * Parses an IPqSEC log verifier key string and checks its key ID against its name and key.
 * @throws FormatError when malformed, of another signature type, or when the key ID does not match
 */
export function parseNoteKey(vkey: string): NoteKey {
  const s = vkey.trim();
  const p1 = s.indexOf('+');
  const p2 = p1 < 0 ? -1 : s.indexOf('+', p1 + 1);
  if (p2 < 0) throw new FormatError('verifier key must be name+keyid+key');
  const name = s.slice(0, p1);
  const idHex = s.slice(p1 + 1, p2);
  if (!isValidKeyName(name)) throw new FormatError('verifier key: invalid key name');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new FormatError('verifier key: key ID must be 8 lowercase hex digits');
  const typeAndKey = fromBase64(s.slice(p2 + 1));
  if (typeAndKey === null) throw new FormatError('verifier key: key is not valid base64');
  if (!equal(typeAndKey.subarray(0, ML_DSA_65_NOTE_TYPE.length), ML_DSA_65_NOTE_TYPE)) throw new FormatError('verifier key: not an IPqSEC ML-DSA-65 log key');
  const publicKey = typeAndKey.slice(ML_DSA_65_NOTE_TYPE.length);
  if (publicKey.length !== ML_DSA_65_PUBLIC_KEY_BYTES) throw new FormatError(`verifier key: public key is ${publicKey.length} bytes, expected ${ML_DSA_65_PUBLIC_KEY_BYTES}`);
  const keyId = keyIdOf(name, typeAndKey);
  if (hex(keyId) !== idHex) throw new FormatError(`verifier key: key ID ${idHex} does not match the key (computed ${hex(keyId)})`);
  return { name, keyId, publicKey };
}

/** Outcome of {@link verifyCheckpoint}. */
export interface CheckpointVerification {
  /** True when a signature line of the key verifies over the note text. */
  readonly valid: boolean;
  /** Why not, when not valid. */
  readonly problem: string | null;
  readonly checkpoint: Checkpoint;
  readonly keyName: string;
  /** Key ID of the key, hex. */
  readonly keyId: string;
  /** Signature lines of other keys (witness cosignatures), not verified here. */
  readonly otherSignatures: number;
  /** Whether the checkpoint origin equals the key name (IPqSEC names its log key after the origin). */
  readonly originMatchesKey: boolean;
}

/**
 * Verifies a checkpoint note with a log verifier key string.
 * @throws FormatError when the note, the checkpoint or the key is malformed
 */
export function verifyCheckpoint(note: string, vkey: string): CheckpointVerification {
  const key = parseNoteKey(vkey);
  const n = parseSignedNote(note);
  const checkpoint = parseCheckpointText(n.text);
  const mine = n.signatures.filter((s) => s.name === key.name && equal(s.keyId, key.keyId));
  const message = enc.encode(n.text);
  let valid = false;
  for (const s of mine) {
    try {
      if (ml_dsa65.verify(s.signature, message, key.publicKey, { context: NOTE_SIGNATURE_CONTEXT })) {
        valid = true;
        break;
      }
    } catch {
      // a malformed signature is an invalid one
    }
  }
  const problem = valid ? null : mine.length === 0 ? `no signature line of key ${key.name} (${hex(key.keyId)})` : 'the signature does not verify: the checkpoint or the key is not genuine';
  return {
    valid,
    problem,
    checkpoint,
    keyName: key.name,
    keyId: hex(key.keyId),
    otherSignatures: n.signatures.length - mine.length,
    originMatchesKey: checkpoint.origin === key.name,
  };
}
