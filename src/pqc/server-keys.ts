/**
 * The server KEM key statement: the server's long-term ML-DSA-65 identity signs its X-Wing KEM public key, so a
 * device encapsulates only to a key that the pinned server identity vouches for (a man in the middle cannot
 * substitute its own KEM key). `docs/envelope.md` ("Server key statement") is the specification.
 *
 * Statement (version 1), canonical bytes, integers big-endian:
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 4 | magic `IPQK` (`49 50 51 4B`) |
 * | 4 | 1 | version `01` |
 * | 5 | 1 | `n` = length of the identity name (1–255) |
 * | 6 | n | identity name, printable ASCII without space (0x21–0x7E) |
 * | 6+n | 32 | SHA-256 of the identity's ML-DSA-65 public key (FIPS 180-4, FIPS 204) |
 * | 38+n | 8 | KEM key id = first 8 bytes of SHA-256(X-Wing public key) |
 * | 46+n | 8 | created, epoch ms (u64 < 2^53) |
 * | 54+n | 8 | not after, epoch ms (u64 < 2^53, ≥ created) |
 * | 62+n | 2 | X-Wing public key length (1,216) |
 * | 64+n | 1216 | X-Wing public key (draft-connolly-cfrg-xwing-kem §5.2) |
 *
 * Total `1280 + n` bytes. The signature is ML-DSA-65 (FIPS 204 Algorithm 2) over exactly these bytes with the
 * context string `ipqsec-server-keys-v1`.
 *
 * Verification ({@link verifyServerKeys}) throws `IpqsecError('IPQ-P007')` with `details.reason` `malformed`,
 * `identity` (the statement names another identity key than the one pinned), `signature`, `not_yet_valid` or
 * `expired`. Only statements returned by it are accepted by the channel client ({@link isVerifiedServerKeys}).
 */
import { IpqsecError } from '../core/errors.js';
import { constantTimeEqual, sha256 } from './classical.js';
import { ML_DSA_65, type MlDsaKeyPair, type PqcProvider } from './provider.js';
import { XWING } from './xwing.js';

/** ML-DSA context string of the statement signature. */
export const SERVER_KEYS_CONTEXT = 'ipqsec-server-keys-v1';

/** Clock skew tolerated before `createdMs`, ms (5 minutes). */
export const SERVER_KEYS_SKEW_MS = 300_000;

const MAGIC = Uint8Array.of(0x49, 0x50, 0x51, 0x4b);
const VERSION = 1;
const NAME_PATTERN = /^[\x21-\x7e]{1,255}$/;
const CONTEXT_BYTES = new TextEncoder().encode(SERVER_KEYS_CONTEXT);
const TWO_32 = 0x1_0000_0000;

/** A decoded statement. */
export interface ServerKeyStatement {
  /** Identity name (printable ASCII, no space, 1–255 characters), e.g. `ipqsec.example.org`. */
  readonly name: string;
  /** SHA-256 of the identity's ML-DSA-65 public key, 32 bytes. */
  readonly identityKeyHash: Uint8Array;
  /** KEM key id as 16 lower-case hex digits (first 8 bytes of SHA-256 of `kemPublicKey`). */
  readonly keyId: string;
  /** X-Wing public key, 1,216 bytes. */
  readonly kemPublicKey: Uint8Array;
  /** Epoch ms. */
  readonly createdMs: number;
  /** Epoch ms; the statement is not used after it. */
  readonly notAfterMs: number;
}

/** Bytes and signature of a statement, with its decoded form. */
export interface SignedServerKeys {
  readonly statement: Uint8Array;
  /** ML-DSA-65 signature, 3,309 bytes. */
  readonly signature: Uint8Array;
  readonly keys: ServerKeyStatement;
}

/** The JSON of `GET /api/v1/pqc/server-keys` (contracts: base64 = RFC 4648 §4 with padding). */
export interface ServerKeysDocument {
  readonly identity: { readonly name: string; readonly public_key: string };
  readonly kem: { readonly key_id: string; readonly public_key: string };
  readonly statement: string;
  readonly signature: string;
}

const verified = new WeakSet<ServerKeyStatement>();

function invalid(reason: string, detail: string, offset?: number): IpqsecError {
  return new IpqsecError('IPQ-P007', `${reason}: ${detail}`, { ...(offset === undefined ? {} : { location: { offset } }), details: { reason, ...(offset === undefined ? {} : { offset }) } });
}

/** First 8 bytes of SHA-256 of an X-Wing public key: the KEM key id carried in every HELLO. */
export function kemKeyId(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).slice(0, 8);
}

/** {@link kemKeyId} as 16 lower-case hex digits. */
export function kemKeyIdHex(publicKey: Uint8Array): string {
  return Buffer.from(kemKeyId(publicKey)).toString('hex');
}

function writeU64(b: Uint8Array, o: number, v: number): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setUint32(o, Math.floor(v / TWO_32));
  dv.setUint32(o + 4, v % TWO_32);
}

/** The fields a server signs. */
export interface ServerKeyFields {
  readonly name: string;
  /** The signer's ML-DSA-65 public key (its SHA-256 goes into the statement). */
  readonly identityPublicKey: Uint8Array;
  readonly kemPublicKey: Uint8Array;
  readonly createdMs: number;
  readonly notAfterMs: number;
}

/**
 * The canonical statement bytes (layout in the file comment).
 *
 * @throws RangeError when the name does not match `[\x21-\x7E]{1,255}`, a key has the wrong size, or the times are
 *   not integers with 0 ≤ created ≤ not-after < 2^53
 */
export function encodeServerKeyStatement(f: ServerKeyFields): Uint8Array {
  if (typeof f.name !== 'string' || !NAME_PATTERN.test(f.name)) throw new RangeError(`identity name ${JSON.stringify(f.name)} must be 1-255 printable ASCII characters without space`);
  if (f.identityPublicKey.length !== ML_DSA_65.publicKeyBytes) throw new RangeError(`identity public key must be ${ML_DSA_65.publicKeyBytes} bytes`);
  if (f.kemPublicKey.length !== XWING.publicKeyBytes) throw new RangeError(`KEM public key must be ${XWING.publicKeyBytes} bytes`);
  if (!Number.isSafeInteger(f.createdMs) || !Number.isSafeInteger(f.notAfterMs) || f.createdMs < 0 || f.notAfterMs < f.createdMs) throw new RangeError('need integers 0 <= createdMs <= notAfterMs < 2^53');
  const n = f.name.length;
  const out = new Uint8Array(1280 + n);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out[5] = n;
  for (let i = 0; i < n; i++) out[6 + i] = f.name.charCodeAt(i);
  out.set(sha256(f.identityPublicKey), 6 + n);
  out.set(kemKeyId(f.kemPublicKey), 38 + n);
  writeU64(out, 46 + n, f.createdMs);
  writeU64(out, 54 + n, f.notAfterMs);
  out[62 + n] = XWING.publicKeyBytes >>> 8;
  out[63 + n] = XWING.publicKeyBytes & 0xff;
  out.set(f.kemPublicKey, 64 + n);
  return out;
}

/**
 * Decodes statement bytes (does not verify anything but the layout and that the key id matches the key).
 *
 * @throws IpqsecError IPQ-P007 reason `malformed` (naming the byte offset) for any defect; nothing else
 */
export function decodeServerKeyStatement(bytes: Uint8Array): ServerKeyStatement {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('statement must be a Uint8Array');
  if (bytes.length < 6) throw invalid('malformed', `statement of ${bytes.length} bytes is truncated`, bytes.length);
  if (!MAGIC.every((m, i) => bytes[i] === m)) throw invalid('malformed', 'bad magic (expected IPQK)', 0);
  if (bytes[4] !== VERSION) throw invalid('malformed', `unsupported statement version ${bytes[4]}`, 4);
  const n = bytes[5]!;
  if (n === 0) throw invalid('malformed', 'empty identity name', 5);
  if (bytes.length !== 1280 + n) throw invalid('malformed', `statement of ${bytes.length} bytes, expected ${1280 + n}`, Math.min(bytes.length, 1280 + n));
  let name = '';
  for (let i = 0; i < n; i++) name += String.fromCharCode(bytes[6 + i]!);
  if (!NAME_PATTERN.test(name)) throw invalid('malformed', 'identity name has a character outside 0x21-0x7E', 6);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (o: number): number => {
    const hi = dv.getUint32(o);
    if (hi >= 0x20_0000) throw invalid('malformed', 'time not below 2^53', o);
    return hi * TWO_32 + dv.getUint32(o + 4);
  };
  const createdMs = u64(46 + n);
  const notAfterMs = u64(54 + n);
  if (notAfterMs < createdMs) throw invalid('malformed', 'not-after before created', 54 + n);
  if (dv.getUint16(62 + n) !== XWING.publicKeyBytes) throw invalid('malformed', `KEM public key length ${dv.getUint16(62 + n)}, expected ${XWING.publicKeyBytes}`, 62 + n);
  const kemPublicKey = bytes.slice(64 + n);
  const keyIdBytes = bytes.subarray(38 + n, 46 + n);
  if (!constantTimeEqual(keyIdBytes, kemKeyId(kemPublicKey))) throw invalid('malformed', 'key id is not SHA-256 of the KEM public key', 38 + n);
  return Object.freeze({ name, identityKeyHash: bytes.slice(6 + n, 38 + n), keyId: Buffer.from(keyIdBytes).toString('hex'), kemPublicKey, createdMs, notAfterMs });
}

/**
 * Signs a statement of the server's X-Wing KEM key with its ML-DSA-65 identity (context `ipqsec-server-keys-v1`).
 *
 * @param identity the server identity key pair
 * @param f name, KEM public key, validity (epoch ms); the identity public key is taken from `identity`
 * @throws RangeError as {@link encodeServerKeyStatement}
 */
export function signServerKeys(p: PqcProvider, identity: MlDsaKeyPair, f: Omit<ServerKeyFields, 'identityPublicKey'>): SignedServerKeys {
  const statement = encodeServerKeyStatement({ ...f, identityPublicKey: identity.publicKey });
  return { statement, signature: p.mlDsaSign(identity, statement, CONTEXT_BYTES), keys: decodeServerKeyStatement(statement) };
}

/**
 * Verifies a statement against the pinned server identity public key and the clock, and returns it decoded.
 * Only statements returned here are accepted by {@link isVerifiedServerKeys} (and so by the channel client).
 *
 * Checks, in order: layout; SHA-256 of `identityPublicKey` equals the statement's identity hash (`identity`);
 * the ML-DSA-65 signature with context `ipqsec-server-keys-v1` (`signature`); `createdMs − 5 min ≤ nowMs`
 * (`not_yet_valid`); `nowMs ≤ notAfterMs` (`expired`).
 *
 * @param identityPublicKey the pinned ML-DSA-65 public key of the server identity (1,952 bytes)
 * @param nowMs current time, epoch ms
 * @throws IpqsecError IPQ-P007 with `details.reason` as above
 */
export function verifyServerKeys(p: PqcProvider, identityPublicKey: Uint8Array, statement: Uint8Array, signature: Uint8Array, nowMs: number): ServerKeyStatement {
  const keys = decodeServerKeyStatement(statement);
  if (identityPublicKey.length !== ML_DSA_65.publicKeyBytes || !constantTimeEqual(sha256(identityPublicKey), keys.identityKeyHash)) {
    throw invalid('identity', `statement of ${keys.name} is bound to another identity key than the pinned one`);
  }
  if (!p.mlDsaVerify(identityPublicKey, statement, signature, CONTEXT_BYTES)) throw invalid('signature', `signature of ${keys.name} over KEM key ${keys.keyId} does not verify`);
  if (nowMs < keys.createdMs - SERVER_KEYS_SKEW_MS) throw invalid('not_yet_valid', `KEM key ${keys.keyId} is valid from ${new Date(keys.createdMs).toISOString()}`);
  if (nowMs > keys.notAfterMs) throw invalid('expired', `KEM key ${keys.keyId} expired at ${new Date(keys.notAfterMs).toISOString()}`);
  verified.add(keys);
  return keys;
}

/** True for a statement object returned by {@link verifyServerKeys} (in this process). */
export function isVerifiedServerKeys(keys: ServerKeyStatement): boolean {
  return verified.has(keys);
}

/** The `GET /api/v1/pqc/server-keys` document of a signed statement. */
export function serverKeysDocument(signed: SignedServerKeys, identityPublicKey: Uint8Array): ServerKeysDocument {
  const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  return {
    identity: { name: signed.keys.name, public_key: b64(identityPublicKey) },
    kem: { key_id: signed.keys.keyId, public_key: b64(signed.keys.kemPublicKey) },
    statement: b64(signed.statement),
    signature: b64(signed.signature),
  };
}

/** The fields of a {@link ServerKeysDocument} in bytes (not yet verified). */
export interface ServerKeysDocumentBytes {
  readonly name: string;
  readonly identityPublicKey: Uint8Array;
  readonly statement: Uint8Array;
  readonly signature: Uint8Array;
}

function strictBase64(v: unknown, field: string): Uint8Array {
  if (typeof v !== 'string') throw invalid('malformed', `${field} is not a string`);
  const b = Buffer.from(v, 'base64');
  if (b.toString('base64') !== v) throw invalid('malformed', `${field} is not canonical base64`);
  return new Uint8Array(b);
}

/**
 * Reads the JSON document of `GET /api/v1/pqc/server-keys`; checks that its `identity.name`, `kem.key_id` and
 * `kem.public_key` repeat the statement's (the signed statement is authoritative; the copies are for people).
 * Verify the result with {@link verifyServerKeys}.
 *
 * @throws IpqsecError IPQ-P007 reason `malformed` when a field is missing, not base64 or disagrees with the statement
 */
export function readServerKeysDocument(doc: unknown): ServerKeysDocumentBytes {
  const d = doc as Partial<Record<'identity' | 'kem', Record<string, unknown>>> & Record<string, unknown>;
  if (typeof d !== 'object' || d === null || typeof d.identity !== 'object' || d.identity === null || typeof d.kem !== 'object' || d.kem === null) throw invalid('malformed', 'server-keys document lacks identity or kem');
  const statement = strictBase64(d.statement, 'statement');
  const keys = decodeServerKeyStatement(statement);
  const identityPublicKey = strictBase64(d.identity.public_key, 'identity.public_key');
  if (d.identity.name !== keys.name) throw invalid('malformed', 'identity.name differs from the statement');
  if (d.kem.key_id !== keys.keyId) throw invalid('malformed', 'kem.key_id differs from the statement');
  const kemPk = strictBase64(d.kem.public_key, 'kem.public_key');
  if (!constantTimeEqual(kemPk, keys.kemPublicKey)) throw invalid('malformed', 'kem.public_key differs from the statement');
  return { name: keys.name, identityPublicKey, statement, signature: strictBase64(d.signature, 'signature') };
}
