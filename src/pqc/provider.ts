/**
 * The crypto provider: the one seam between IPqSEC and the post-quantum primitives.
 *
 * Two back-ends implement {@link PqcProvider} with the standard encodings, so keys, ciphertexts and signatures made
 * by one are accepted by the other:
 * - `native`: `node:crypto` (Node >= 24 built with OpenSSL >= 3.5: ML-KEM-768 and ML-DSA-65 key types);
 * - `noble`: `@noble/post-quantum` (pinned exact version), pure JavaScript, for Node 20 and 22.
 *
 * Keys are held as their FIPS seeds (ML-KEM: the 64-byte `d || z` of FIPS 203 §6.1 ML-KEM.KeyGen_internal;
 * ML-DSA: the 32-byte `ξ` of FIPS 204 Algorithm 6 ML-DSA.KeyGen_internal) plus the encoded public key; a back-end
 * may cache its own expanded form of a key pair object (so reuse the same object for repeated operations).
 *
 * The classical parts (X25519, HKDF-SHA-256, SHA-2/SHA-3, AES-256-GCM) always come from `node:crypto`
 * (`classical.ts`); X-Wing is composed in `xwing.ts`.
 */

/** Which implementation of ML-KEM and ML-DSA is in use. */
export type PqcBackendName = 'native' | 'noble';

/** ML-KEM-768 sizes in bytes (FIPS 203 §8, Table 3). */
export const ML_KEM_768 = { seedBytes: 64, publicKeyBytes: 1184, ciphertextBytes: 1088, sharedSecretBytes: 32 } as const;

/** ML-DSA-65 sizes in bytes (FIPS 204 §4, Table 2). */
export const ML_DSA_65 = { seedBytes: 32, publicKeyBytes: 1952, signatureBytes: 3309 } as const;

/** An ML-KEM-768 key pair: the 64-byte seed `d || z` and the 1,184-byte encapsulation key. */
export interface MlKemKeyPair {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** An ML-DSA-65 key pair: the 32-byte seed `ξ` and the 1,952-byte public key. */
export interface MlDsaKeyPair {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** ML-KEM encapsulation result: the 1,088-byte ciphertext and the 32-byte shared secret. */
export interface KemEncapsulation {
  readonly ciphertext: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

/**
 * ML-KEM-768 (FIPS 203) and ML-DSA-65 (FIPS 204) behind one interface.
 *
 * Misuse (a wrong length) throws `RangeError`; `mlDsaVerify` returns false for any signature that does not verify,
 * including one of the wrong length (or a public key of the wrong length), and never throws for bad signature bytes.
 * A context string longer than 255 bytes throws `RangeError` in both `mlDsaSign` and `mlDsaVerify`.
 *
 * Implementations: `createPqcProvider` in `select-provider.ts` (`noble-provider.ts`, `native-provider.ts`).
 */
export interface PqcProvider {
  readonly backend: PqcBackendName;
  /** ML-KEM.KeyGen from a 64-byte seed `d || z` (random when omitted). */
  mlKemKeygen(seed?: Uint8Array): MlKemKeyPair;
  /**
   * ML-KEM.Encaps to a 1,184-byte encapsulation key (FIPS 203 §7.2, including the modulus check of the key:
   * an invalid key throws `RangeError`). `m` (32 bytes) makes it deterministic for test vectors; the native
   * back-end does not accept `m` and throws `RangeError` when it is given.
   */
  mlKemEncapsulate(publicKey: Uint8Array, m?: Uint8Array): KemEncapsulation;
  /** ML-KEM.Decaps (FIPS 203 §7.3): implicit rejection, so a wrong ciphertext of the right length gives a pseudo-random secret. */
  mlKemDecapsulate(keyPair: MlKemKeyPair, ciphertext: Uint8Array): Uint8Array;
  /** ML-DSA.KeyGen from a 32-byte seed (random when omitted). */
  mlDsaKeygen(seed?: Uint8Array): MlDsaKeyPair;
  /**
   * ML-DSA.Sign (FIPS 204 Algorithm 2, hedged) of `message` with an optional context string of at most 255 bytes.
   * The native back-end on Node 24.7 (before the `context` option of `crypto.sign`, 24.8) throws `RangeError` for a
   * non-empty context.
   */
  mlDsaSign(keyPair: MlDsaKeyPair, message: Uint8Array, context?: Uint8Array): Uint8Array;
  /** ML-DSA.Verify (FIPS 204 Algorithm 3); false for any invalid signature. */
  mlDsaVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, context?: Uint8Array): boolean;
}
