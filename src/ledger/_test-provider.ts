/**
 * Test-only {@link PqcProvider} built directly on `@noble/post-quantum` (ML-KEM-768, ML-DSA-65), for the ledger's
 * tests until `src/pqc/select-provider.ts` exists. Expanded secret keys are cached per key-pair object.
 */
import { randomBytes } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ML_DSA_65, ML_KEM_768, type MlDsaKeyPair, type MlKemKeyPair, type PqcProvider } from '../pqc/provider.js';

const dsaSecret = new WeakMap<MlDsaKeyPair, Uint8Array>();
const kemSecret = new WeakMap<MlKemKeyPair, Uint8Array>();

function seedOf(seed: Uint8Array | undefined, n: number): Uint8Array {
  if (seed === undefined) return new Uint8Array(randomBytes(n));
  if (seed.length !== n) throw new RangeError(`seed must be ${n} bytes`);
  return seed.slice();
}

function dsaKey(kp: MlDsaKeyPair): Uint8Array {
  let sk = dsaSecret.get(kp);
  if (sk === undefined) {
    sk = ml_dsa65.keygen(kp.seed).secretKey;
    dsaSecret.set(kp, sk);
  }
  return sk;
}

/** A noble-backed provider for tests. */
export const testPqcProvider: PqcProvider = Object.freeze({
  backend: 'noble' as const,
  mlKemKeygen(seed?: Uint8Array): MlKemKeyPair {
    const s = seedOf(seed, ML_KEM_768.seedBytes);
    const { publicKey, secretKey } = ml_kem768.keygen(s);
    const kp = Object.freeze({ seed: s, publicKey });
    kemSecret.set(kp, secretKey);
    return kp;
  },
  mlKemEncapsulate(publicKey: Uint8Array, m?: Uint8Array) {
    if (publicKey.length !== ML_KEM_768.publicKeyBytes) throw new RangeError('bad ML-KEM-768 public key length');
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, m);
    return { ciphertext: cipherText, sharedSecret };
  },
  mlKemDecapsulate(keyPair: MlKemKeyPair, ciphertext: Uint8Array): Uint8Array {
    let sk = kemSecret.get(keyPair);
    if (sk === undefined) {
      sk = ml_kem768.keygen(keyPair.seed).secretKey;
      kemSecret.set(keyPair, sk);
    }
    if (ciphertext.length !== ML_KEM_768.ciphertextBytes) throw new RangeError('bad ML-KEM-768 ciphertext length');
    return ml_kem768.decapsulate(ciphertext, sk);
  },
  mlDsaKeygen(seed?: Uint8Array): MlDsaKeyPair {
    const s = seedOf(seed, ML_DSA_65.seedBytes);
    const { publicKey, secretKey } = ml_dsa65.keygen(s);
    const kp = Object.freeze({ seed: s, publicKey });
    dsaSecret.set(kp, secretKey);
    return kp;
  },
  mlDsaSign(keyPair: MlDsaKeyPair, message: Uint8Array, context?: Uint8Array): Uint8Array {
    return ml_dsa65.sign(message, dsaKey(keyPair), context === undefined ? {} : { context });
  },
  mlDsaVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, context?: Uint8Array): boolean {
    if (publicKey.length !== ML_DSA_65.publicKeyBytes || signature.length !== ML_DSA_65.signatureBytes) return false;
    try {
      return ml_dsa65.verify(signature, message, publicKey, context === undefined ? {} : { context });
    } catch {
      return false;
    }
  },
});
