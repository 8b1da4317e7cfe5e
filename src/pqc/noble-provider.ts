/**
 * The `noble` back-end of {@link PqcProvider}: ML-KEM-768 (FIPS 203) and ML-DSA-65 (FIPS 204) from
 * `@noble/post-quantum` 0.7.1 (pinned exact version; pure JavaScript, audited), for Node 20 and 22.
 *
 * Key pairs hold the FIPS seeds; noble's expanded secret key (ML-KEM: the 2,400-byte `dk`, ML-DSA: the 4,032-byte
 * `sk`) is computed once per key pair object and kept in a `WeakMap` keyed by that object, so it lives exactly as
 * long as the key pair does (no other bound needed). A key pair object that did not come from this provider's
 * `keygen` (one read from a file, or made by the native back-end) is expanded from its seed at first use, and its
 * `publicKey` is checked against the seed then (`RangeError` when they differ). The seed and public key of a key
 * pair must not be mutated after first use: the cache would not notice.
 *
 * Signing is hedged (FIPS 204 Algorithm 2 with fresh 32-byte `rnd` from the platform CSPRNG).
 */
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { constantTimeEqual, randomBytes } from './classical.js';
import { ML_DSA_65, ML_KEM_768, type KemEncapsulation, type MlDsaKeyPair, type MlKemKeyPair, type PqcProvider } from './provider.js';

const EMPTY = new Uint8Array(0);
/** Longest ML-DSA context string (FIPS 204 Algorithm 2, step 1). */
const MAX_CONTEXT_BYTES = 255;

function checkBytes(name: string, bytes: Uint8Array, expected: number): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name}: expected a Uint8Array`);
  if (bytes.length !== expected) throw new RangeError(`${name}: expected ${expected} bytes, got ${bytes.length}`);
}

function checkContext(context: Uint8Array | undefined): Uint8Array {
  if (context === undefined) return EMPTY;
  if (!(context instanceof Uint8Array)) throw new TypeError('ML-DSA context: expected a Uint8Array');
  if (context.length > MAX_CONTEXT_BYTES) throw new RangeError(`ML-DSA context: at most 255 bytes, got ${context.length}`);
  return context;
}

/** Expanded ML-KEM decapsulation keys (2,400 bytes) by key pair object. */
const kemSecretKeys = new WeakMap<MlKemKeyPair, Uint8Array>();
/** Expanded ML-DSA secret keys (4,032 bytes) by key pair object. */
const dsaSecretKeys = new WeakMap<MlDsaKeyPair, Uint8Array>();

function kemSecretKey(keyPair: MlKemKeyPair): Uint8Array {
  const cached = kemSecretKeys.get(keyPair);
  if (cached !== undefined) return cached;
  checkBytes('ML-KEM seed', keyPair.seed, ML_KEM_768.seedBytes);
  const { secretKey, publicKey } = ml_kem768.keygen(keyPair.seed);
  if (!constantTimeEqual(publicKey, keyPair.publicKey)) throw new RangeError('ML-KEM key pair: the public key does not belong to the seed');
  kemSecretKeys.set(keyPair, secretKey);
  return secretKey;
}

function dsaSecretKey(keyPair: MlDsaKeyPair): Uint8Array {
  const cached = dsaSecretKeys.get(keyPair);
  if (cached !== undefined) return cached;
  checkBytes('ML-DSA seed', keyPair.seed, ML_DSA_65.seedBytes);
  const { secretKey, publicKey } = ml_dsa65.keygen(keyPair.seed);
  if (!constantTimeEqual(publicKey, keyPair.publicKey)) throw new RangeError('ML-DSA key pair: the public key does not belong to the seed');
  dsaSecretKeys.set(keyPair, secretKey);
  return secretKey;
}

const noblePqcProvider: PqcProvider = Object.freeze({
  backend: 'noble' as const,

  mlKemKeygen(seed?: Uint8Array): MlKemKeyPair {
    if (seed !== undefined) checkBytes('ML-KEM seed', seed, ML_KEM_768.seedBytes);
    const s = seed === undefined ? randomBytes(ML_KEM_768.seedBytes) : new Uint8Array(seed);
    const { secretKey, publicKey } = ml_kem768.keygen(s);
    const keyPair: MlKemKeyPair = Object.freeze({ seed: s, publicKey });
    kemSecretKeys.set(keyPair, secretKey);
    return keyPair;
  },

  mlKemEncapsulate(publicKey: Uint8Array, m?: Uint8Array): KemEncapsulation {
    checkBytes('ML-KEM encapsulation key', publicKey, ML_KEM_768.publicKeyBytes);
    if (m !== undefined) checkBytes('ML-KEM encapsulation randomness m', m, 32);
    let out: { cipherText: Uint8Array; sharedSecret: Uint8Array };
    try {
      out = ml_kem768.encapsulate(publicKey, m);
    } catch (err) {
      throw new RangeError('ML-KEM encapsulation key fails the modulus check (FIPS 203 §7.2)', { cause: err });
    }
    return { ciphertext: out.cipherText, sharedSecret: out.sharedSecret };
  },

  mlKemDecapsulate(keyPair: MlKemKeyPair, ciphertext: Uint8Array): Uint8Array {
    checkBytes('ML-KEM ciphertext', ciphertext, ML_KEM_768.ciphertextBytes);
    return ml_kem768.decapsulate(ciphertext, kemSecretKey(keyPair));
  },

  mlDsaKeygen(seed?: Uint8Array): MlDsaKeyPair {
    if (seed !== undefined) checkBytes('ML-DSA seed', seed, ML_DSA_65.seedBytes);
    const s = seed === undefined ? randomBytes(ML_DSA_65.seedBytes) : new Uint8Array(seed);
    const { secretKey, publicKey } = ml_dsa65.keygen(s);
    const keyPair: MlDsaKeyPair = Object.freeze({ seed: s, publicKey });
    dsaSecretKeys.set(keyPair, secretKey);
    return keyPair;
  },

  mlDsaSign(keyPair: MlDsaKeyPair, message: Uint8Array, context?: Uint8Array): Uint8Array {
    const ctx = checkContext(context);
    return ml_dsa65.sign(message, dsaSecretKey(keyPair), { context: ctx });
  },

  mlDsaVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, context?: Uint8Array): boolean {
    const ctx = checkContext(context);
    if (publicKey.length !== ML_DSA_65.publicKeyBytes || signature.length !== ML_DSA_65.signatureBytes) return false;
    try {
      return ml_dsa65.verify(signature, message, publicKey, { context: ctx });
    } catch {
      // A malformed encoding inside a signature of the right length: not a valid signature.
      return false;
    }
  },
});

/**
 * The `noble` provider (one shared, frozen instance; its caches are per key pair object, see the file comment).
 * Available on every Node version IPqSEC supports (>= 20.19).
 */
export function createNoblePqcProvider(): PqcProvider {
  return noblePqcProvider;
}
