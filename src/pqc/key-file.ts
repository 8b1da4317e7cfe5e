/**
 * The IPqSEC key file: one identity or KEM key held as its seed, optionally encrypted under a passphrase.
 *
 * Pure encoding and decoding (no file I/O; `src/cli/key-files.ts` reads and writes the files with mode 0600).
 * This comment is the normative description of the bytes.
 *
 * Layout, format version 1 (integers little-endian, offsets in bytes):
 *
 * | offset | size | content |
 * | --- | --- | --- |
 * | 0 | 8 | magic `IPQSKEY\0` (`49 50 51 53 4B 45 59 00`) |
 * | 8 | 1 | format version (1) |
 * | 9 | 1 | algorithm: 1 = ML-DSA-65 (FIPS 204), 2 = X-Wing (draft-connolly-cfrg-xwing-kem) |
 * | 10 | 1 | protection: 0 = none, 1 = scrypt (RFC 7914) + AES-256-GCM (NIST SP 800-38D) |
 * | 11 | 1 | reserved, 0 |
 * | 12 | 8 | created, milliseconds since the Unix epoch, u64 (at most 2^53 − 1) |
 * | 20 | 2 | public key length `Lk`, u16 (1,952 for ML-DSA-65, 1,216 for X-Wing) |
 * | 22 | Lk | public key (so `ipqsec keys show` needs no passphrase) |
 * | 22+Lk | 48 | protection 1 only: log2 N (u8), r (u8), p (u8), reserved 0 (u8), salt (16), AES-GCM nonce (12), passphrase check (16) |
 * | `A` | S | protection 0: the 32-byte seed; protection 1: AES-256-GCM(seed) = 32 bytes ciphertext + 16 bytes tag |
 * | `A`+S | 32 | SHA-256 (FIPS 180-4) of every byte before it |
 *
 * Encryption: scrypt(NFC-normalised UTF-8 passphrase, salt, N, r, p) gives 64 bytes; the first 32 are the
 * AES-256-GCM key, the passphrase check is the first 16 bytes of SHA-256 of the last 32. Bytes `0 … A−1` (the
 * header) are the AES-GCM additional authenticated data, so a changed header fails the tag.
 *
 * Errors: any modified byte fails the trailing SHA-256 first (IPQ-P002). When the checksum passes, a passphrase
 * check mismatch means a wrong passphrase (IPQ-P003), and a tag failure with a matching check means the header or
 * ciphertext was altered and the checksum recomputed (IPQ-P002). The check value reveals nothing an attacker
 * could not learn by trying passphrases against the tag; it only tells the two failures apart.
 * The seed is ML-DSA's 32-byte `ξ` (FIPS 204 Algorithm 6) or X-Wing's 32-byte decapsulation-key seed; on
 * load the public key is recomputed from it and must equal the stored one (IPQ-P002 otherwise).
 */
import { scryptSync } from 'node:crypto';
import { IpqsecError } from '../core/errors.js';
import { aes256GcmOpen, aes256GcmSeal, constantTimeEqual, randomBytes, sha256 } from './classical.js';
import { ML_DSA_65 } from './provider.js';
import type { PqcProvider } from './provider.js';
import { XWING, xwingKeygen } from './xwing.js';

/** Algorithms a key file can hold. */
export type KeyAlgorithm = 'ML-DSA-65' | 'X-Wing';

/** Per algorithm: its id byte in the file and its seed and public-key sizes in bytes. */
export const KEY_ALGORITHMS: Readonly<Record<KeyAlgorithm, { readonly id: number; readonly seedBytes: number; readonly publicKeyBytes: number }>> = {
  'ML-DSA-65': { id: 1, seedBytes: ML_DSA_65.seedBytes, publicKeyBytes: ML_DSA_65.publicKeyBytes },
  'X-Wing': { id: 2, seedBytes: XWING.seedBytes, publicKeyBytes: XWING.publicKeyBytes },
};

/** Magic bytes at offset 0: ASCII `IPQSKEY` and a NUL. */
export const KEY_FILE_MAGIC: Uint8Array = Uint8Array.of(0x49, 0x50, 0x51, 0x53, 0x4b, 0x45, 0x59, 0x00);
/** The one format version this code writes and reads. */
export const KEY_FILE_VERSION = 1;

/** scrypt cost parameters (RFC 7914 §2): N = 2^log2N, block size r, parallelism p. */
export interface ScryptParams {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
}

/** Default scrypt cost: N = 2^15, r = 8, p = 1 (32 MiB of memory, the RFC 7914 §2 interactive-login class). */
export const KEY_FILE_SCRYPT_DEFAULTS: ScryptParams = Object.freeze({ log2N: 15, r: 8, p: 1 });

/**
 * Bounds a reader accepts for the scrypt parameters stored in a file (a crafted file must not make the reader
 * allocate without limit): 1 ≤ log2N ≤ 20, 1 ≤ r ≤ 32, 1 ≤ p ≤ 16 and 128 · N · r ≤ 1 GiB.
 */
export const KEY_FILE_SCRYPT_LIMITS = Object.freeze({ maxLog2N: 20, maxR: 32, maxP: 16, maxMemoryBytes: 1 << 30 });

const PRELUDE_BYTES = 22;
const KDF_BLOCK_BYTES = 48;
const CHECK_BYTES = 16;
const SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const CHECKSUM_BYTES = 32;
const PROTECTION_NONE = 0;
const PROTECTION_SCRYPT_AES_GCM = 1;

/** A key as stored: algorithm, seed, public key and creation time. */
export interface KeyFileContents {
  readonly algorithm: KeyAlgorithm;
  /** The 32-byte seed (secret). */
  readonly seed: Uint8Array;
  /** The encoded public key (1,952 bytes ML-DSA-65, 1,216 bytes X-Wing). */
  readonly publicKey: Uint8Array;
  /** Creation time, milliseconds since the Unix epoch (a non-negative safe integer). */
  readonly createdMs: number;
}

/** The public part of a key file, readable without the passphrase. */
export interface KeyFileInfo {
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: Uint8Array;
  readonly createdMs: number;
  /** Key id: the first 8 bytes of SHA-256(public key), 16 lower-case hex digits ({@link publicKeyId}). */
  readonly keyId: string;
  /** Whether the seed is encrypted under a passphrase; `scrypt` holds the stored parameters then. */
  readonly encrypted: boolean;
  readonly scrypt?: ScryptParams;
}

/** Options of {@link encodeKeyFile}. */
export interface EncodeKeyFileOptions {
  /** Encrypt the seed under this passphrase (non-empty; Unicode NFC-normalised, then UTF-8). */
  readonly passphrase?: string;
  /** scrypt cost (default {@link KEY_FILE_SCRYPT_DEFAULTS}); must lie within {@link KEY_FILE_SCRYPT_LIMITS}. */
  readonly scrypt?: Partial<ScryptParams>;
}

/**
 * Key id of a public key: the first 8 bytes of its SHA-256 (FIPS 180-4) digest as 16 lower-case hex digits.
 * Shown by `ipqsec keys show` and in model-signature reports.
 */
export function publicKeyId(publicKey: Uint8Array): string {
  return Buffer.from(sha256(publicKey).subarray(0, 8)).toString('hex');
}

/**
 * Generates a key pair of `algorithm` from a 32-byte seed (random when omitted) through the provider:
 * ML-DSA-65 KeyGen (FIPS 204 Algorithm 6) or X-Wing KeyGen (draft-connolly-cfrg-xwing-kem §5.2).
 * @throws RangeError when the seed is not 32 bytes.
 */
export function keyPairFromSeed(p: PqcProvider, algorithm: KeyAlgorithm, seed?: Uint8Array): { seed: Uint8Array; publicKey: Uint8Array } {
  if (algorithm === 'ML-DSA-65') {
    const kp = p.mlDsaKeygen(seed);
    return { seed: kp.seed, publicKey: kp.publicKey };
  }
  if (algorithm === 'X-Wing') {
    const kp = xwingKeygen(p, seed);
    return { seed: kp.seed, publicKey: kp.publicKey };
  }
  throw new RangeError(`unknown key algorithm ${String(algorithm)}`);
}

/**
 * Encodes a key as the bytes of a key file (layout in the file comment), encrypting the seed when a passphrase
 * is given (scrypt with a fresh 16-byte random salt, AES-256-GCM with a fresh 12-byte random nonce).
 * The caller vouches that `publicKey` belongs to `seed` ({@link keyPairFromSeed}); decoding checks it.
 * Cost: one scrypt derivation when encrypting (about 0.1 s at the default cost).
 * @throws RangeError for a seed or public key of the wrong length, an invalid `createdMs`, an empty passphrase or
 *   scrypt parameters outside {@link KEY_FILE_SCRYPT_LIMITS}.
 */
export function encodeKeyFile(key: KeyFileContents, opts: EncodeKeyFileOptions = {}): Uint8Array {
  const spec = KEY_ALGORITHMS[key.algorithm];
  if (spec === undefined) throw new RangeError(`unknown key algorithm ${String(key.algorithm)}`);
  if (key.seed.length !== spec.seedBytes) throw new RangeError(`${key.algorithm} seed must be ${spec.seedBytes} bytes, got ${key.seed.length}`);
  if (key.publicKey.length !== spec.publicKeyBytes) {
    throw new RangeError(`${key.algorithm} public key must be ${spec.publicKeyBytes} bytes, got ${key.publicKey.length}`);
  }
  if (!Number.isSafeInteger(key.createdMs) || key.createdMs < 0) throw new RangeError(`createdMs must be a non-negative safe integer, got ${key.createdMs}`);
  const encrypted = opts.passphrase !== undefined;
  if (encrypted && opts.passphrase === '') throw new RangeError('the passphrase must not be empty');
  const scrypt: ScryptParams = { ...KEY_FILE_SCRYPT_DEFAULTS, ...opts.scrypt };
  if (encrypted) {
    const problem = scryptProblem(scrypt);
    if (problem !== undefined) throw new RangeError(`scrypt parameters: ${problem}`);
  }
  const headerBytes = PRELUDE_BYTES + spec.publicKeyBytes + (encrypted ? KDF_BLOCK_BYTES : 0);
  const secretBytes = spec.seedBytes + (encrypted ? TAG_BYTES : 0);
  const out = new Uint8Array(headerBytes + secretBytes + CHECKSUM_BYTES);
  const view = new DataView(out.buffer);
  out.set(KEY_FILE_MAGIC, 0);
  out[8] = KEY_FILE_VERSION;
  out[9] = spec.id;
  out[10] = encrypted ? PROTECTION_SCRYPT_AES_GCM : PROTECTION_NONE;
  view.setBigUint64(12, BigInt(key.createdMs), true);
  view.setUint16(20, spec.publicKeyBytes, true);
  out.set(key.publicKey, PRELUDE_BYTES);
  if (encrypted) {
    const k = PRELUDE_BYTES + spec.publicKeyBytes;
    out[k] = scrypt.log2N;
    out[k + 1] = scrypt.r;
    out[k + 2] = scrypt.p;
    const salt = randomBytes(SALT_BYTES);
    const nonce = randomBytes(NONCE_BYTES);
    out.set(salt, k + 4);
    out.set(nonce, k + 4 + SALT_BYTES);
    const { aesKey, check } = deriveKey(opts.passphrase as string, salt, scrypt);
    out.set(check, k + 4 + SALT_BYTES + NONCE_BYTES);
    out.set(aes256GcmSeal(aesKey, nonce, key.seed, out.subarray(0, headerBytes)), headerBytes);
    aesKey.fill(0);
  } else {
    out.set(key.seed, headerBytes);
  }
  const end = headerBytes + secretBytes;
  out.set(sha256(out.subarray(0, end)), end);
  return out;
}

/** True when `bytes` start with the key-file magic (a cheap sniff; it does not validate the file). */
export function isKeyFile(bytes: Uint8Array): boolean {
  if (bytes.length < KEY_FILE_MAGIC.length) return false;
  for (let i = 0; i < KEY_FILE_MAGIC.length; i++) if (bytes[i] !== KEY_FILE_MAGIC[i]) return false;
  return true;
}

/** Where the parts of a structurally valid file are. */
interface Parsed {
  readonly info: KeyFileInfo;
  readonly headerEnd: number;
  readonly secretEnd: number;
  readonly kdfAt: number;
}

function parse(bytes: Uint8Array, fileName: string | undefined): Parsed {
  const bad = (offset: number, detail: string, details?: Record<string, unknown>): IpqsecError =>
    new IpqsecError('IPQ-P002', detail, { location: fileName === undefined ? { offset } : { file: fileName, offset }, ...(details ? { details } : {}) });
  const n = bytes.length;
  const magicLen = Math.min(n, KEY_FILE_MAGIC.length);
  for (let i = 0; i < magicLen; i++) {
    if (bytes[i] !== KEY_FILE_MAGIC[i]) throw bad(0, 'not an IPqSEC key file (expected magic "IPQSKEY\\0")');
  }
  if (n < PRELUDE_BYTES) throw bad(n, `truncated: ${n} bytes, the fixed prelude alone needs ${PRELUDE_BYTES}`);
  if (bytes[8] !== KEY_FILE_VERSION) {
    throw bad(8, `key file format version ${bytes[8]}, this IPqSEC reads version ${KEY_FILE_VERSION}`, { fileVersion: bytes[8] });
  }
  const algorithm = (Object.keys(KEY_ALGORITHMS) as KeyAlgorithm[]).find((a) => KEY_ALGORITHMS[a].id === bytes[9]);
  if (algorithm === undefined) throw bad(9, `unknown algorithm id ${bytes[9]} (1 = ML-DSA-65, 2 = X-Wing)`);
  const protection = bytes[10];
  if (protection !== PROTECTION_NONE && protection !== PROTECTION_SCRYPT_AES_GCM) throw bad(10, `unknown protection ${protection} (0 = none, 1 = scrypt + AES-256-GCM)`);
  if (bytes[11] !== 0) throw bad(11, 'reserved byte is not 0');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const spec = KEY_ALGORITHMS[algorithm];
  const pkLen = view.getUint16(20, true);
  if (pkLen !== spec.publicKeyBytes) throw bad(20, `public key length ${pkLen}, ${algorithm} public keys have ${spec.publicKeyBytes} bytes`);
  const encrypted = protection === PROTECTION_SCRYPT_AES_GCM;
  const kdfAt = PRELUDE_BYTES + pkLen;
  const headerEnd = kdfAt + (encrypted ? KDF_BLOCK_BYTES : 0);
  const secretEnd = headerEnd + spec.seedBytes + (encrypted ? TAG_BYTES : 0);
  const expected = secretEnd + CHECKSUM_BYTES;
  if (n < expected) throw bad(n, `truncated: the header says the file has ${expected} bytes, it has ${n}`);
  if (n > expected) throw bad(expected, `${n - expected} unexpected bytes after the checksum (file should end at byte ${expected})`);
  if (!constantTimeEqual(sha256(bytes.subarray(0, secretEnd)), bytes.subarray(secretEnd, expected))) {
    throw bad(secretEnd, 'SHA-256 checksum mismatch: the file was modified or damaged');
  }
  const created = view.getBigUint64(12, true);
  if (created > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(12, 'creation time out of range');
  let scrypt: ScryptParams | undefined;
  if (encrypted) {
    scrypt = { log2N: bytes[kdfAt], r: bytes[kdfAt + 1], p: bytes[kdfAt + 2] };
    const problem = scryptProblem(scrypt);
    if (problem !== undefined) throw bad(kdfAt, `scrypt parameters: ${problem}`);
    if (bytes[kdfAt + 3] !== 0) throw bad(kdfAt + 3, 'reserved byte is not 0');
  }
  const publicKey = copyOf(bytes.subarray(PRELUDE_BYTES, kdfAt));
  const info: KeyFileInfo = {
    algorithm,
    publicKey,
    createdMs: Number(created),
    keyId: publicKeyId(publicKey),
    encrypted,
    ...(scrypt === undefined ? {} : { scrypt }),
  };
  return { info, headerEnd, secretEnd, kdfAt };
}

/**
 * Reads the public part of a key file without the passphrase, after checking its structure and checksum.
 * @param fileName shown in error messages.
 * @throws IpqsecError IPQ-P002 when the bytes are not a well-formed version-1 key file (wrong magic, version,
 *   algorithm, lengths, checksum or scrypt parameters; the message names the byte offset).
 */
export function inspectKeyFile(bytes: Uint8Array, fileName?: string): KeyFileInfo {
  return parse(bytes, fileName).info;
}

/** Options of {@link decodeKeyFile}. */
export interface DecodeKeyFileOptions {
  /** Passphrase of an encrypted file (ignored for a plain one). */
  readonly passphrase?: string;
  /** Shown in error messages. */
  readonly fileName?: string;
}

/**
 * Decodes a key file: checks structure and checksum, decrypts the seed when the file is encrypted, and checks
 * that the public key recomputed from the seed equals the stored one. Returns fresh copies of seed and key.
 * Cost: one key generation, plus one scrypt derivation when encrypted.
 * @throws IpqsecError IPQ-P002 for a malformed, damaged or modified file (any changed byte), or a stored public key
 *   that does not belong to the seed; IPQ-P003 when the file is encrypted and no passphrase or a wrong one is given.
 */
export function decodeKeyFile(p: PqcProvider, bytes: Uint8Array, opts: DecodeKeyFileOptions = {}): KeyFileContents {
  const { info, headerEnd, secretEnd, kdfAt } = parse(bytes, opts.fileName);
  const location = opts.fileName === undefined ? undefined : { file: opts.fileName };
  let seed: Uint8Array;
  if (!info.encrypted) {
    seed = copyOf(bytes.subarray(headerEnd, secretEnd));
  } else {
    if (opts.passphrase === undefined) {
      throw new IpqsecError('IPQ-P003', 'the key file is encrypted and no passphrase was given', { ...(location ? { location } : {}) });
    }
    const salt = bytes.subarray(kdfAt + 4, kdfAt + 4 + SALT_BYTES);
    const nonce = bytes.subarray(kdfAt + 4 + SALT_BYTES, kdfAt + 4 + SALT_BYTES + NONCE_BYTES);
    const stored = bytes.subarray(kdfAt + KDF_BLOCK_BYTES - CHECK_BYTES, kdfAt + KDF_BLOCK_BYTES);
    const { aesKey, check } = deriveKey(opts.passphrase, salt, info.scrypt as ScryptParams);
    if (!constantTimeEqual(check, stored)) {
      aesKey.fill(0);
      throw new IpqsecError('IPQ-P003', 'the passphrase does not open this key file', { ...(location ? { location } : {}) });
    }
    const opened = aes256GcmOpen(aesKey, nonce, bytes.subarray(headerEnd, secretEnd), bytes.subarray(0, headerEnd));
    aesKey.fill(0);
    if (opened === undefined) {
      throw new IpqsecError('IPQ-P002', 'the encrypted seed or the header was altered (AES-GCM authentication failed although the passphrase is right)', {
        ...(location ? { location } : {}),
      });
    }
    seed = opened;
  }
  const derived = keyPairFromSeed(p, info.algorithm, seed);
  if (!constantTimeEqual(derived.publicKey, info.publicKey)) {
    throw new IpqsecError('IPQ-P002', `the stored ${info.algorithm} public key does not belong to the stored seed`, {
      ...(location ? { location } : {}),
    });
  }
  return { algorithm: info.algorithm, seed, publicKey: info.publicKey, createdMs: info.createdMs };
}

/** A copy of `b` in its own buffer (`Buffer#slice` would return a view, so it is not used on inputs). */
function copyOf(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

function scryptProblem(s: ScryptParams): string | undefined {
  const L = KEY_FILE_SCRYPT_LIMITS;
  if (!Number.isInteger(s.log2N) || s.log2N < 1 || s.log2N > L.maxLog2N) return `log2N ${s.log2N} is outside 1..${L.maxLog2N}`;
  if (!Number.isInteger(s.r) || s.r < 1 || s.r > L.maxR) return `r ${s.r} is outside 1..${L.maxR}`;
  if (!Number.isInteger(s.p) || s.p < 1 || s.p > L.maxP) return `p ${s.p} is outside 1..${L.maxP}`;
  if (128 * 2 ** s.log2N * s.r > L.maxMemoryBytes) return `128 · N · r exceeds ${L.maxMemoryBytes} bytes`;
  return undefined;
}

/** scrypt (RFC 7914) of the NFC-normalised UTF-8 passphrase: a 32-byte AES-256 key and the 16-byte passphrase check. */
function deriveKey(passphrase: string, salt: Uint8Array, s: ScryptParams): { aesKey: Uint8Array; check: Uint8Array } {
  const N = 2 ** s.log2N;
  // node:crypto refuses when 128 · N · r exceeds maxmem (default 32 MiB); allow twice that plus the p blocks.
  const maxmem = 256 * N * s.r + 128 * s.r * s.p + (1 << 20);
  const out = scryptSync(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, 64, { N, r: s.r, p: s.p, maxmem });
  const aesKey = new Uint8Array(out.subarray(0, 32));
  const check = sha256(out.subarray(32, 64)).subarray(0, CHECK_BYTES);
  out.fill(0);
  return { aesKey, check };
}
