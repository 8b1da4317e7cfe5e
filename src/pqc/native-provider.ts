/**
 * The `native` back-end of {@link PqcProvider}: ML-KEM-768 (FIPS 203) and ML-DSA-65 (FIPS 204) from `node:crypto`,
 * which needs Node >= 24.7 built with OpenSSL >= 3.5 (`crypto.encapsulate`/`crypto.decapsulate`, key types
 * `ml-kem-768` and `ml-dsa-65`). Context strings for ML-DSA need Node >= 24.8 (the `context` option of
 * `crypto.sign`/`crypto.verify`); on a Node that ignores the option a non-empty context throws `RangeError`
 * (checked once, by signing a probe message with a context and verifying it without).
 *
 * Keys cross into OpenSSL as DER:
 * - private keys as PKCS#8 (RFC 5958) with the seed-only CHOICE of the IETF LAMPS drafts:
 *   ML-KEM-768 (draft-ietf-lamps-kyber-certificates, OID 2.16.840.1.101.3.4.4.2): `[0] IMPLICIT OCTET STRING (64)`
 *   holding `d || z`; ML-DSA-65 (draft-ietf-lamps-dilithium-certificates, OID 2.16.840.1.101.3.4.3.18):
 *   `[0] IMPLICIT OCTET STRING (32)` holding `ξ`;
 * - public keys as SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) whose BIT STRING is the raw FIPS encoding.
 * So the keys, ciphertexts and signatures are the standard encodings, interchangeable with the `noble` back-end.
 *
 * Caches: a key pair's private `KeyObject` is kept in a `WeakMap` keyed by the key pair object (built from the seed
 * at first use when the pair did not come from this provider, and then checked against the pair's `publicKey`);
 * a public key's `KeyObject` is kept in a `WeakMap` keyed by the `Uint8Array` holding it, together with a copy of
 * its bytes that is compared on every hit (a mutated array is re-imported). Both live as long as their key.
 *
 * Signing is hedged (OpenSSL's default: fresh `rnd` per signature, FIPS 204 Algorithm 2). Encapsulation takes its
 * randomness from OpenSSL: `mlKemEncapsulate` with a given `m` throws `RangeError` on this back-end.
 */
import * as nodeCrypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { IpqsecError } from '../core/errors.js';
import { constantTimeEqual, randomBytes } from './classical.js';
import { ML_DSA_65, ML_KEM_768, type KemEncapsulation, type MlDsaKeyPair, type MlKemKeyPair, type PqcProvider } from './provider.js';

/** The parts of `node:crypto` (Node >= 24.7) that the Node 20 type definitions do not know. */
interface NativeKemApi {
  encapsulate(key: KeyObject): { sharedKey: Uint8Array; ciphertext: Uint8Array };
  decapsulate(key: KeyObject, ciphertext: Uint8Array): Uint8Array;
}
type NativeSign = (algorithm: null, data: Uint8Array, key: { key: KeyObject; context?: Uint8Array }) => Uint8Array;
type NativeVerify = (algorithm: null, data: Uint8Array, key: { key: KeyObject; context?: Uint8Array }, signature: Uint8Array) => boolean;

const api = nodeCrypto as unknown as Partial<NativeKemApi>;
const nativeSign = nodeCrypto.sign as unknown as NativeSign;
const nativeVerify = nodeCrypto.verify as unknown as NativeVerify;

/** Longest ML-DSA context string (FIPS 204 Algorithm 2, step 1). */
const MAX_CONTEXT_BYTES = 255;

// ------------------------------------------------------------------------------------------------ DER encodings

/** `SEQUENCE { INTEGER 0, SEQUENCE { OID 2.16.840.1.101.3.4.4.2 }, OCTET STRING { [0] (64 bytes) } }` up to the seed. */
const ML_KEM_768_PKCS8_PREFIX = Uint8Array.of(
  0x30, 0x54, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02, 0x04, 0x42, 0x80, 0x40,
);
/** `SEQUENCE { INTEGER 0, SEQUENCE { OID 2.16.840.1.101.3.4.3.18 }, OCTET STRING { [0] (32 bytes) } }` up to the seed. */
const ML_DSA_65_PKCS8_PREFIX = Uint8Array.of(
  0x30, 0x34, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12, 0x04, 0x22, 0x80, 0x20,
);
/** `SEQUENCE { SEQUENCE { OID ML-KEM-768 }, BIT STRING (1,185 bytes, 0 unused bits) }` up to the key. */
const ML_KEM_768_SPKI_PREFIX = Uint8Array.of(
  0x30, 0x82, 0x04, 0xb2, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02, 0x03, 0x82, 0x04, 0xa1, 0x00,
);
/** `SEQUENCE { SEQUENCE { OID ML-DSA-65 }, BIT STRING (1,953 bytes, 0 unused bits) }` up to the key. */
const ML_DSA_65_SPKI_PREFIX = Uint8Array.of(
  0x30, 0x82, 0x07, 0xb2, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12, 0x03, 0x82, 0x07, 0xa1, 0x00,
);

function checkBytes(name: string, bytes: Uint8Array, expected: number): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name}: expected a Uint8Array`);
  if (bytes.length !== expected) throw new RangeError(`${name}: expected ${expected} bytes, got ${bytes.length}`);
}

function prefixed(prefix: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}

/**
 * PKCS#8 DER (RFC 5958) of an ML-KEM-768 private key in the seed-only form of draft-ietf-lamps-kyber-certificates:
 * 86 bytes.
 * @throws RangeError when the seed is not 64 bytes
 */
export function mlKemPrivateKeyPkcs8(seed64: Uint8Array): Uint8Array {
  checkBytes('ML-KEM seed', seed64, ML_KEM_768.seedBytes);
  return prefixed(ML_KEM_768_PKCS8_PREFIX, seed64);
}

/**
 * PKCS#8 DER (RFC 5958) of an ML-DSA-65 private key in the seed-only form of
 * draft-ietf-lamps-dilithium-certificates: 54 bytes.
 * @throws RangeError when the seed is not 32 bytes
 */
export function mlDsaPrivateKeyPkcs8(seed32: Uint8Array): Uint8Array {
  checkBytes('ML-DSA seed', seed32, ML_DSA_65.seedBytes);
  return prefixed(ML_DSA_65_PKCS8_PREFIX, seed32);
}

/**
 * SubjectPublicKeyInfo DER (RFC 5280) of a 1,184-byte ML-KEM-768 encapsulation key: 1,206 bytes.
 * @throws RangeError when the key is not 1,184 bytes
 */
export function mlKemPublicKeySpki(publicKey: Uint8Array): Uint8Array {
  checkBytes('ML-KEM encapsulation key', publicKey, ML_KEM_768.publicKeyBytes);
  return prefixed(ML_KEM_768_SPKI_PREFIX, publicKey);
}

/**
 * SubjectPublicKeyInfo DER (RFC 5280) of a 1,952-byte ML-DSA-65 public key: 1,974 bytes.
 * @throws RangeError when the key is not 1,952 bytes
 */
export function mlDsaPublicKeySpki(publicKey: Uint8Array): Uint8Array {
  checkBytes('ML-DSA public key', publicKey, ML_DSA_65.publicKeyBytes);
  return prefixed(ML_DSA_65_SPKI_PREFIX, publicKey);
}

/** The raw public key inside an SPKI that OpenSSL exported, checked against the expected prefix. */
function rawPublicKey(keyObject: KeyObject, prefix: Uint8Array, bytes: number): Uint8Array {
  const der = keyObject.export({ format: 'der', type: 'spki' });
  if (der.length !== prefix.length + bytes || !constantTimeEqual(der.subarray(0, prefix.length), prefix)) {
    throw new Error(`native PQC back-end: unexpected SubjectPublicKeyInfo from OpenSSL (${der.length} bytes)`);
  }
  return new Uint8Array(der.subarray(prefix.length));
}

// ------------------------------------------------------------------------------------------------ availability

let available: boolean | undefined;

/** `asymmetricKeyType` as a string (the Node 20 type definitions do not list the ML-KEM and ML-DSA types). */
function keyType(key: KeyObject): string | undefined {
  return key.asymmetricKeyType as string | undefined;
}

/**
 * Whether this Node has the native back-end: `crypto.encapsulate`/`crypto.decapsulate` and OpenSSL that imports
 * seed-only ML-KEM-768 and ML-DSA-65 private keys. Checked once per process (a few ms), then memoised.
 */
export function nativePqcAvailable(): boolean {
  if (available === undefined) {
    try {
      available =
        typeof api.encapsulate === 'function' &&
        typeof api.decapsulate === 'function' &&
        keyType(privateKeyObject(ML_KEM_768_PKCS8_PREFIX, new Uint8Array(ML_KEM_768.seedBytes))) === 'ml-kem-768' &&
        keyType(privateKeyObject(ML_DSA_65_PKCS8_PREFIX, new Uint8Array(ML_DSA_65.seedBytes))) === 'ml-dsa-65';
    } catch {
      available = false;
    }
  }
  return available;
}

let contextSupported: boolean | undefined;

/** Whether `crypto.sign`/`crypto.verify` honour `context` for ML-DSA (Node >= 24.8): a probe signed with a context must not verify without it. */
function nativeContextSupported(): boolean {
  if (contextSupported === undefined) {
    const key = privateKeyObject(ML_DSA_65_PKCS8_PREFIX, new Uint8Array(ML_DSA_65.seedBytes));
    const probe = Uint8Array.of(0x70, 0x72, 0x6f, 0x62, 0x65);
    const signature = nativeSign(null, probe, { key, context: Uint8Array.of(1) });
    contextSupported = !nativeVerify(null, probe, { key: nodeCrypto.createPublicKey(key) }, signature);
  }
  return contextSupported;
}

function checkContext(context: Uint8Array | undefined): Uint8Array | undefined {
  if (context === undefined || context.length === 0) return undefined;
  if (!(context instanceof Uint8Array)) throw new TypeError('ML-DSA context: expected a Uint8Array');
  if (context.length > MAX_CONTEXT_BYTES) throw new RangeError(`ML-DSA context: at most 255 bytes, got ${context.length}`);
  if (!nativeContextSupported()) {
    throw new RangeError(`ML-DSA context strings need Node >= 24.8 on the native back-end (this is ${process.version}); use the noble back-end`);
  }
  return context;
}

// ------------------------------------------------------------------------------------------------ key caches

function privateKeyObject(prefix: Uint8Array, seed: Uint8Array): KeyObject {
  return nodeCrypto.createPrivateKey({ key: Buffer.from(prefixed(prefix, seed)), format: 'der', type: 'pkcs8' });
}

/** Private `KeyObject`s by key pair object (ML-KEM and ML-DSA pairs are distinct objects). */
const privateKeys = new WeakMap<MlKemKeyPair | MlDsaKeyPair, KeyObject>();

function cachedPrivateKey(keyPair: MlKemKeyPair | MlDsaKeyPair, kind: 'ML-KEM' | 'ML-DSA'): KeyObject {
  const cached = privateKeys.get(keyPair);
  if (cached !== undefined) return cached;
  const kem = kind === 'ML-KEM';
  checkBytes(`${kind} seed`, keyPair.seed, kem ? ML_KEM_768.seedBytes : ML_DSA_65.seedBytes);
  const key = privateKeyObject(kem ? ML_KEM_768_PKCS8_PREFIX : ML_DSA_65_PKCS8_PREFIX, keyPair.seed);
  const publicKey = kem
    ? rawPublicKey(nodeCrypto.createPublicKey(key), ML_KEM_768_SPKI_PREFIX, ML_KEM_768.publicKeyBytes)
    : rawPublicKey(nodeCrypto.createPublicKey(key), ML_DSA_65_SPKI_PREFIX, ML_DSA_65.publicKeyBytes);
  if (!constantTimeEqual(publicKey, keyPair.publicKey)) throw new RangeError(`${kind} key pair: the public key does not belong to the seed`);
  privateKeys.set(keyPair, key);
  return key;
}

/** Public `KeyObject`s by the array holding the raw key, with a copy of the bytes to detect mutation. */
const publicKeys = new WeakMap<Uint8Array, { readonly bytes: Uint8Array; readonly key: KeyObject }>();

function cachedPublicKey(raw: Uint8Array, spki: (raw: Uint8Array) => Uint8Array): KeyObject {
  const cached = publicKeys.get(raw);
  if (cached !== undefined && constantTimeEqual(cached.bytes, raw)) return cached.key;
  const key = nodeCrypto.createPublicKey({ key: Buffer.from(spki(raw)), format: 'der', type: 'spki' });
  publicKeys.set(raw, { bytes: new Uint8Array(raw), key });
  return key;
}

// ------------------------------------------------------------------------------------------------ the provider

function keygen<K extends MlKemKeyPair | MlDsaKeyPair>(kind: 'ML-KEM' | 'ML-DSA', seed: Uint8Array | undefined): K {
  const kem = kind === 'ML-KEM';
  const seedBytes = kem ? ML_KEM_768.seedBytes : ML_DSA_65.seedBytes;
  if (seed !== undefined) checkBytes(`${kind} seed`, seed, seedBytes);
  const s = seed === undefined ? randomBytes(seedBytes) : new Uint8Array(seed);
  const key = privateKeyObject(kem ? ML_KEM_768_PKCS8_PREFIX : ML_DSA_65_PKCS8_PREFIX, s);
  const publicKey = kem
    ? rawPublicKey(nodeCrypto.createPublicKey(key), ML_KEM_768_SPKI_PREFIX, ML_KEM_768.publicKeyBytes)
    : rawPublicKey(nodeCrypto.createPublicKey(key), ML_DSA_65_SPKI_PREFIX, ML_DSA_65.publicKeyBytes);
  const keyPair = Object.freeze({ seed: s, publicKey }) as K;
  privateKeys.set(keyPair, key);
  return keyPair;
}

function buildNativeProvider(): PqcProvider {
  const encapsulate = api.encapsulate as NativeKemApi['encapsulate'];
  const decapsulate = api.decapsulate as NativeKemApi['decapsulate'];
  return Object.freeze({
    backend: 'native' as const,

    mlKemKeygen(seed?: Uint8Array): MlKemKeyPair {
      return keygen<MlKemKeyPair>('ML-KEM', seed);
    },

    mlKemEncapsulate(publicKey: Uint8Array, m?: Uint8Array): KemEncapsulation {
      if (m !== undefined) throw new RangeError('ML-KEM: the native back-end takes no encapsulation randomness m (use the noble back-end for test vectors)');
      checkBytes('ML-KEM encapsulation key', publicKey, ML_KEM_768.publicKeyBytes);
      let out: { sharedKey: Uint8Array; ciphertext: Uint8Array };
      try {
        out = encapsulate(cachedPublicKey(publicKey, mlKemPublicKeySpki));
      } catch (err) {
        throw new RangeError('ML-KEM encapsulation key fails the modulus check (FIPS 203 §7.2)', { cause: err });
      }
      return { ciphertext: new Uint8Array(out.ciphertext), sharedSecret: new Uint8Array(out.sharedKey) };
    },

    mlKemDecapsulate(keyPair: MlKemKeyPair, ciphertext: Uint8Array): Uint8Array {
      checkBytes('ML-KEM ciphertext', ciphertext, ML_KEM_768.ciphertextBytes);
      return new Uint8Array(decapsulate(cachedPrivateKey(keyPair, 'ML-KEM'), ciphertext));
    },

    mlDsaKeygen(seed?: Uint8Array): MlDsaKeyPair {
      return keygen<MlDsaKeyPair>('ML-DSA', seed);
    },

    mlDsaSign(keyPair: MlDsaKeyPair, message: Uint8Array, context?: Uint8Array): Uint8Array {
      const ctx = checkContext(context);
      const key = cachedPrivateKey(keyPair, 'ML-DSA');
      return new Uint8Array(nativeSign(null, message, ctx === undefined ? { key } : { key, context: ctx }));
    },

    mlDsaVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, context?: Uint8Array): boolean {
      const ctx = checkContext(context);
      if (publicKey.length !== ML_DSA_65.publicKeyBytes || signature.length !== ML_DSA_65.signatureBytes) return false;
      const key = cachedPublicKey(publicKey, mlDsaPublicKeySpki);
      try {
        return nativeVerify(null, message, ctx === undefined ? { key } : { key, context: ctx }, signature);
      } catch {
        // OpenSSL reports some malformed encodings as errors: not a valid signature.
        return false;
      }
    },
  });
}

let nativeProvider: PqcProvider | undefined;

/**
 * The `native` provider (one shared instance; its caches are per key object, see the file comment).
 * @throws IpqsecError IPQ-P001 when {@link nativePqcAvailable} is false (Node < 24.7 or OpenSSL < 3.5)
 */
export function createNativePqcProvider(): PqcProvider {
  if (nativeProvider !== undefined) return nativeProvider;
  if (!nativePqcAvailable()) {
    throw new IpqsecError(
      'IPQ-P001',
      `native ML-KEM-768/ML-DSA-65 need Node >= 24.7 with OpenSSL >= 3.5; this is Node ${process.version} with OpenSSL ${process.versions.openssl}`,
      { details: { node: process.version, openssl: process.versions.openssl } },
    );
  }
  nativeProvider = buildNativeProvider();
  return nativeProvider;
}
