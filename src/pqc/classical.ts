/**
 * The classical primitives of IPqSEC, every one from `node:crypto` (OpenSSL): random bytes, SHA-256 (FIPS 180-4),
 * SHA3-256 and SHAKE256 (FIPS 202), HKDF-SHA-256 (RFC 5869), X25519 (RFC 7748 §5), AES-256-GCM (NIST SP 800-38D)
 * and a constant-time comparison. Nothing here implements a primitive; the functions fix the parameters, check
 * lengths and convert to plain `Uint8Array`s.
 *
 * Every result is a fresh `Uint8Array` that owns its whole `ArrayBuffer` (never a view into Node's shared `Buffer`
 * pool), so a caller may keep, transfer or wipe it. Inputs are not modified.
 *
 * Misuse (a key, nonce or length out of range) throws `RangeError`; `aes256GcmOpen` returns `undefined` for any
 * sealed box that does not authenticate; `constantTimeEqual` never throws.
 *
 * X25519 comes in two forms: `x25519`/`x25519PublicKey` on raw 32-byte secrets (one import per call), and
 * {@link X25519KeyPair} (`x25519ImportSecretKey`, `x25519GenerateKeyPair`, `x25519Derive`) for a key used more than
 * once or a random ephemeral one. Raw private keys cross into OpenSSL as RFC 8410 PKCS#8, public keys as JWK (RFC
 * 8037 OKP), the fastest import on Node 20's OpenSSL 3.0.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomFillSync,
  timingSafeEqual,
  createSecretKey,
  type KeyObject,
} from 'node:crypto';

/** Byte sizes of the classical parts. */
export const CLASSICAL = {
  x25519KeyBytes: 32,
  aesKeyBytes: 32,
  gcmNonceBytes: 12,
  gcmTagBytes: 16,
  /** Largest HKDF-SHA-256 output: 255 · HashLen (RFC 5869 §2.3). */
  hkdfMaxBytes: 255 * 32,
} as const;

/** RFC 8410 PKCS#8 prefix of an X25519 private key (OID 1.3.101.110), followed by the 32 raw bytes. */
const X25519_PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);

/** A `Buffer` from Node as a plain `Uint8Array` owning its memory (copied when the buffer is a pooled view). */
function own(buf: Uint8Array): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && !(buf.buffer instanceof SharedArrayBuffer)) {
    return new Uint8Array(buf.buffer, 0, buf.byteLength);
  }
  return new Uint8Array(buf);
}

function checkLength(name: string, bytes: Uint8Array, expected: number): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name}: expected a Uint8Array`);
  if (bytes.length !== expected) throw new RangeError(`${name}: expected ${expected} bytes, got ${bytes.length}`);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * `n` bytes from the operating system's CSPRNG (`crypto.randomFillSync`).
 * @throws RangeError when `n` is not an integer in [0, 2^31 − 1]
 */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`randomBytes: n must be an integer >= 0, got ${n}`);
  return randomFillSync(new Uint8Array(n));
}

/** SHA-256 (FIPS 180-4) of the concatenation of `parts`: 32 bytes. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return own(h.digest());
}

/** SHA3-256 (FIPS 202 §6.1) of the concatenation of `parts`: 32 bytes. */
export function sha3_256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha3-256');
  for (const p of parts) h.update(p);
  return own(h.digest());
}

/**
 * SHAKE256 (FIPS 202 §6.2) of `data`, `outBytes` bytes of output.
 * @throws RangeError when `outBytes` is not an integer in [1, 2^24]
 */
export function shake256(data: Uint8Array, outBytes: number): Uint8Array {
  if (!Number.isInteger(outBytes) || outBytes < 1 || outBytes > 1 << 24) {
    throw new RangeError(`shake256: outBytes must be an integer in [1, 16777216], got ${outBytes}`);
  }
  return own(createHash('shake256', { outputLength: outBytes }).update(data).digest());
}

/**
 * HKDF-SHA-256 (RFC 5869: Extract then Expand): `lengthBytes` bytes of output keying material.
 * An empty `salt` means HashLen zero bytes (RFC 5869 §2.2), as `node:crypto` does.
 * @param info at most 1,024 bytes (a limit of `node:crypto`)
 * @throws RangeError when `lengthBytes` is not an integer in [1, 8160] or `info` is longer than 1,024 bytes
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, lengthBytes: number): Uint8Array {
  if (!Number.isInteger(lengthBytes) || lengthBytes < 1 || lengthBytes > CLASSICAL.hkdfMaxBytes) {
    throw new RangeError(`hkdfSha256: lengthBytes must be an integer in [1, ${CLASSICAL.hkdfMaxBytes}], got ${lengthBytes}`);
  }
  if (info.length > 1024) throw new RangeError(`hkdfSha256: info must be at most 1024 bytes, got ${info.length}`);
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, lengthBytes));
}

/**
 * An X25519 key pair held by `node:crypto`: the private key as a `KeyObject` (imported or generated once, then used
 * for any number of {@link x25519Derive} calls) and the 32-byte public key. Importing a raw private key costs more
 * than the X25519 function itself (OpenSSL computes the public key, and OpenSSL 3.0's DER decoder is slow: about
 * 0.4 ms on Node 20), so keep this object for a key that is used more than once.
 */
export interface X25519KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: Uint8Array;
}

function publicKeyOf(privateKey: KeyObject): Uint8Array {
  const jwk = privateKey.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
}

/**
 * Imports a raw 32-byte X25519 secret key (RFC 7748 §5; clamped by X25519 itself) and computes its public key
 * X25519(k, 9) (RFC 7748 §6.1).
 * @throws RangeError when the secret key is not 32 bytes
 */
export function x25519ImportSecretKey(secretKey32: Uint8Array): X25519KeyPair {
  checkLength('X25519 secret key', secretKey32, CLASSICAL.x25519KeyBytes);
  const privateKey = createPrivateKey({ key: Buffer.from(concat(X25519_PKCS8_PREFIX, secretKey32)), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/**
 * A fresh random X25519 key pair (`crypto.generateKeyPairSync('x25519')`, the OS CSPRNG).
 *
 * The public key is encoded by the key generation itself (`publicKeyEncoding: jwk`), never exported afterwards
 * from the generated key: on Node 20.20 exporting it later deadlocked the process (seen in bench:pqc, gdb: the
 * JWK export holds the key's mutex while allocating, the allocation runs a GC, and the GC finalises that key's
 * finished generation job, whose destructor takes the same mutex).
 */
export function x25519GenerateKeyPair(): X25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519', { publicKeyEncoding: { format: 'jwk' } }) as unknown as { privateKey: KeyObject; publicKey: { x: string } };
  return { privateKey, publicKey: new Uint8Array(Buffer.from(publicKey.x, 'base64url')) };
}

/**
 * The X25519 function (RFC 7748 §5) of a prepared key pair's private key and the peer's `publicKey32`: the 32-byte
 * shared secret. Public keys are taken as RFC 7748 says: the top bit is ignored and non-canonical values
 * (≥ 2^255 − 19) are reduced.
 *
 * A public key of small order (a low-order point, RFC 7748 §6.1) gives the all-zero shared secret; OpenSSL refuses
 * to output it and so does this function: it throws `RangeError`. A caller handling a key from the network treats
 * that as a rejected peer, or (X-Wing) substitutes the zero value.
 * @throws RangeError when the public key is not 32 bytes, or when the shared secret is all zero (low-order public key)
 */
export function x25519Derive(keyPair: X25519KeyPair, publicKey32: Uint8Array): Uint8Array {
  checkLength('X25519 public key', publicKey32, CLASSICAL.x25519KeyBytes);
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(publicKey32).toString('base64url') }, format: 'jwk' });
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: keyPair.privateKey, publicKey });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_OSSL_FAILED_DURING_DERIVATION') {
      throw new RangeError('X25519: all-zero shared secret (the public key is a low-order point)', { cause: err });
    }
    throw err;
  }
  const out = own(shared);
  let acc = 0;
  for (const b of out) acc |= b;
  if (acc === 0) throw new RangeError('X25519: all-zero shared secret (the public key is a low-order point)');
  return out;
}

/**
 * The X25519 public key of a 32-byte secret key: X25519(k, 9) (RFC 7748 §6.1). Imports the key each call (see
 * {@link X25519KeyPair} for repeated use).
 * @throws RangeError when the secret key is not 32 bytes
 */
export function x25519PublicKey(secretKey32: Uint8Array): Uint8Array {
  return x25519ImportSecretKey(secretKey32).publicKey;
}

/**
 * The X25519 function (RFC 7748 §5): the 32-byte shared secret of `secretKey32` and the peer's `publicKey32`, as
 * {@link x25519Derive} (same treatment of non-canonical and low-order public keys). Imports the secret key each call.
 * @throws RangeError when a key is not 32 bytes, or when the shared secret is all zero (low-order public key)
 */
export function x25519(secretKey32: Uint8Array, publicKey32: Uint8Array): Uint8Array {
  checkLength('X25519 public key', publicKey32, CLASSICAL.x25519KeyBytes);
  return x25519Derive(x25519ImportSecretKey(secretKey32), publicKey32);
}

/**
 * An AES-256-GCM key imported once into a `node:crypto` KeyObject, for a key used for many messages (a session's
 * traffic key). Measured (256-byte messages, seal + open, 2026-11-21): Node 24.21 138,000/s with a KeyObject against
 * 38,700/s with the raw key bytes (it re-imports them per call); Node 20.20 the same either way (136,000/s).
 */
export interface Aes256GcmKey {
  readonly keyObject: KeyObject;
}

/** Imports a 32-byte key for {@link aes256GcmSeal} / {@link aes256GcmOpen}. @throws RangeError when not 32 bytes */
export function aes256GcmKey(key32: Uint8Array): Aes256GcmKey {
  checkLength('AES-256-GCM key', key32, CLASSICAL.aesKeyBytes);
  return { keyObject: createSecretKey(key32) };
}

function gcmKey(key: Uint8Array | Aes256GcmKey): Uint8Array | KeyObject {
  if (key instanceof Uint8Array) {
    checkLength('AES-256-GCM key', key, CLASSICAL.aesKeyBytes);
    return key;
  }
  return key.keyObject;
}

/**
 * AES-256-GCM encryption (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag: returns `ciphertext || tag`
 * (`plaintext.length + 16` bytes). A nonce must never repeat under one key.
 * @param key the 32 key bytes, or a key imported with {@link aes256GcmKey} (faster for repeated use)
 * @throws RangeError when the key is not 32 bytes or the nonce not 12 bytes
 */
export function aes256GcmSeal(key: Uint8Array | Aes256GcmKey, nonce12: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const out = new Uint8Array(plaintext.length + CLASSICAL.gcmTagBytes);
  aes256GcmSealInto(key, nonce12, plaintext, aad, out, 0);
  return out;
}

/**
 * {@link aes256GcmSeal} writing `ciphertext || tag` into `out` at `offset` (so an envelope is built without a
 * second copy).
 * @throws RangeError as {@link aes256GcmSeal}, or when `out` is too short
 */
export function aes256GcmSealInto(key: Uint8Array | Aes256GcmKey, nonce12: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void {
  const k = gcmKey(key);
  checkLength('AES-GCM nonce', nonce12, CLASSICAL.gcmNonceBytes);
  if (out.length - offset < plaintext.length + CLASSICAL.gcmTagBytes) throw new RangeError('aes256GcmSealInto: output too short');
  const cipher = createCipheriv('aes-256-gcm', k, nonce12, { authTagLength: CLASSICAL.gcmTagBytes });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const tail = cipher.final();
  out.set(body, offset);
  if (tail.length > 0) out.set(tail, offset + body.length);
  out.set(cipher.getAuthTag(), offset + plaintext.length);
}

/**
 * AES-256-GCM decryption of `sealed = ciphertext || 16-byte tag` (NIST SP 800-38D): the plaintext, or `undefined`
 * when the tag does not verify (a wrong key, nonce or AAD, tampering) or `sealed` is shorter than a tag.
 * @param key the 32 key bytes, or a key imported with {@link aes256GcmKey}
 * @throws RangeError when the key is not 32 bytes or the nonce not 12 bytes
 */
export function aes256GcmOpen(key: Uint8Array | Aes256GcmKey, nonce12: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  const k = gcmKey(key);
  checkLength('AES-GCM nonce', nonce12, CLASSICAL.gcmNonceBytes);
  if (sealed.length < CLASSICAL.gcmTagBytes) return undefined;
  const split = sealed.length - CLASSICAL.gcmTagBytes;
  const decipher = createDecipheriv('aes-256-gcm', k, nonce12, { authTagLength: CLASSICAL.gcmTagBytes });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(split));
  const body = decipher.update(sealed.subarray(0, split));
  let tail: Buffer;
  try {
    tail = decipher.final();
  } catch {
    body.fill(0);
    return undefined;
  }
  const out = new Uint8Array(split);
  out.set(body, 0);
  out.set(tail, body.length);
  return out;
}

/**
 * Whether `a` and `b` hold the same bytes, in time that depends only on their lengths (`crypto.timingSafeEqual`);
 * false (at once) when the lengths differ.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
