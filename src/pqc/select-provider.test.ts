/**
 * Back-end selection on this Node, and the behaviour every provider promises (run here on the `noble` back-end;
 * the native one runs the same checks under Node 24 in test/pqc-node24.test.ts). Oracles: noble's own functions
 * called directly, and the FIPS sizes.
 */
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { IpqsecError } from '../core/errors.js';
import { mlDsaPrivateKeyPkcs8, mlDsaPublicKeySpki, mlKemPrivateKeyPkcs8, mlKemPublicKeySpki } from './native-provider.js';
import { ML_DSA_65, ML_KEM_768, type MlDsaKeyPair, type MlKemKeyPair } from './provider.js';
import { createPqcProvider, defaultPqcProvider, nativePqcAvailable, PQC_BACKENDS } from './select-provider.js';

const nodeMajor = Number(process.versions.node.split('.')[0]);
const envBefore = process.env.IPQSEC_PQC_BACKEND;

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IpqsecError);
    expect((err as IpqsecError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('back-end selection', () => {
  afterEach(() => {
    if (envBefore === undefined) delete process.env.IPQSEC_PQC_BACKEND;
    else process.env.IPQSEC_PQC_BACKEND = envBefore;
  });

  it.skipIf(nodeMajor >= 24)('before Node 24 native is unavailable, asking for it is IPQ-P001, the default is noble', () => {
    delete process.env.IPQSEC_PQC_BACKEND;
    expect(nativePqcAvailable()).toBe(false);
    expectCode(() => createPqcProvider('native'), 'IPQ-P001');
    expect(createPqcProvider().backend).toBe('noble');
    process.env.IPQSEC_PQC_BACKEND = 'native';
    expectCode(() => createPqcProvider(), 'IPQ-P001');
  });

  it('IPQSEC_PQC_BACKEND picks the back-end; an unknown name (from the environment or a command line) is IPQ-P001', () => {
    process.env.IPQSEC_PQC_BACKEND = 'noble';
    expect(createPqcProvider().backend).toBe('noble');
    process.env.IPQSEC_PQC_BACKEND = '';
    expect(PQC_BACKENDS).toContain(createPqcProvider().backend);
    process.env.IPQSEC_PQC_BACKEND = 'openssl';
    expectCode(() => createPqcProvider(), 'IPQ-P001');
    expectCode(() => createPqcProvider('kyber' as 'noble'), 'IPQ-P001');
    expect(createPqcProvider('noble')).toBe(createPqcProvider('noble'));
  });

  it('defaultPqcProvider is memoised', () => {
    delete process.env.IPQSEC_PQC_BACKEND;
    const first = defaultPqcProvider();
    process.env.IPQSEC_PQC_BACKEND = 'noble';
    expect(defaultPqcProvider()).toBe(first);
  });
});

describe('DER encodings for the native back-end (pure bytes)', () => {
  it('PKCS#8 seed-only and SPKI have the documented sizes and end in the raw bytes', () => {
    const seed64 = new Uint8Array(64).fill(1);
    const seed32 = new Uint8Array(32).fill(2);
    expect(mlKemPrivateKeyPkcs8(seed64)).toHaveLength(86);
    expect(mlKemPrivateKeyPkcs8(seed64).subarray(22)).toEqual(seed64);
    expect(mlDsaPrivateKeyPkcs8(seed32)).toHaveLength(54);
    expect(mlKemPublicKeySpki(new Uint8Array(1184))).toHaveLength(1206);
    expect(mlDsaPublicKeySpki(new Uint8Array(1952))).toHaveLength(1974);
    expect(() => mlKemPrivateKeyPkcs8(seed32)).toThrow(RangeError);
    expect(() => mlKemPublicKeySpki(new Uint8Array(1183))).toThrow(RangeError);
  });
});

describe('the noble provider', () => {
  const p = createPqcProvider('noble');

  it('ML-KEM keygen from a seed equals noble keygen; a random key pair has the FIPS 203 sizes', () => {
    const seed = new Uint8Array(64).map((_, i) => i);
    expect(p.mlKemKeygen(seed).publicKey).toEqual(ml_kem768.keygen(seed).publicKey);
    const kp = p.mlKemKeygen();
    expect(kp.seed).toHaveLength(ML_KEM_768.seedBytes);
    expect(kp.publicKey).toHaveLength(ML_KEM_768.publicKeyBytes);
    expect(p.mlKemKeygen().seed).not.toEqual(kp.seed);
  });

  it('the seed is copied: changing the caller\'s array later changes nothing', () => {
    const seed = new Uint8Array(64).fill(9);
    const kp = p.mlKemKeygen(seed);
    seed.fill(0);
    expect(kp.seed).toEqual(new Uint8Array(64).fill(9));
  });

  it('ML-KEM round-trips, and interoperates with noble called directly both ways', () => {
    const kp = p.mlKemKeygen();
    const enc = p.mlKemEncapsulate(kp.publicKey);
    expect(enc.ciphertext).toHaveLength(ML_KEM_768.ciphertextBytes);
    expect(enc.sharedSecret).toHaveLength(ML_KEM_768.sharedSecretBytes);
    expect(p.mlKemDecapsulate(kp, enc.ciphertext)).toEqual(enc.sharedSecret);
    expect(ml_kem768.decapsulate(enc.ciphertext, ml_kem768.keygen(kp.seed).secretKey)).toEqual(enc.sharedSecret);
    const theirs = ml_kem768.encapsulate(kp.publicKey);
    expect(p.mlKemDecapsulate(kp, theirs.cipherText)).toEqual(theirs.sharedSecret);
  });

  it('a key pair object built from stored bytes works; one whose public key is not its seed\'s is RangeError', () => {
    const kp = p.mlKemKeygen();
    const stored: MlKemKeyPair = { seed: new Uint8Array(kp.seed), publicKey: new Uint8Array(kp.publicKey) };
    const enc = p.mlKemEncapsulate(kp.publicKey);
    expect(p.mlKemDecapsulate(stored, enc.ciphertext)).toEqual(enc.sharedSecret);
    const wrong: MlKemKeyPair = { seed: kp.seed, publicKey: p.mlKemKeygen().publicKey };
    expect(() => p.mlKemDecapsulate(wrong, enc.ciphertext)).toThrow(RangeError);
    const dsa = p.mlDsaKeygen();
    const wrongDsa: MlDsaKeyPair = { seed: dsa.seed, publicKey: p.mlDsaKeygen().publicKey };
    expect(() => p.mlDsaSign(wrongDsa, new Uint8Array(1))).toThrow(RangeError);
  });

  it('ML-KEM misuse is RangeError: seed, key, m and ciphertext lengths, an unreduced key', () => {
    const kp = p.mlKemKeygen();
    expect(() => p.mlKemKeygen(new Uint8Array(32))).toThrow(RangeError);
    expect(() => p.mlKemEncapsulate(new Uint8Array(1183))).toThrow(RangeError);
    expect(() => p.mlKemEncapsulate(kp.publicKey, new Uint8Array(31))).toThrow(RangeError);
    expect(() => p.mlKemEncapsulate(new Uint8Array(1184).fill(0xff))).toThrow(RangeError);
    expect(() => p.mlKemDecapsulate(kp, new Uint8Array(1087))).toThrow(RangeError);
  });

  it('decapsulating random ciphertexts never throws (implicit rejection) and gives 32 bytes', () => {
    const kp = p.mlKemKeygen();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1088, maxLength: 1088 }), (ct) => {
        expect(p.mlKemDecapsulate(kp, ct)).toHaveLength(32);
      }),
      { numRuns: 20 },
    );
  });

  it('ML-DSA keygen equals noble keygen; signing is hedged; signatures verify with their context only', () => {
    const seed = new Uint8Array(32).fill(5);
    const kp = p.mlDsaKeygen(seed);
    expect(kp.publicKey).toEqual(ml_dsa65.keygen(seed).publicKey);
    expect(kp.publicKey).toHaveLength(ML_DSA_65.publicKeyBytes);
    const msg = new TextEncoder().encode('checkpoint 42');
    const ctx = new TextEncoder().encode('ipqsec/test');
    const a = p.mlDsaSign(kp, msg, ctx);
    const b = p.mlDsaSign(kp, msg, ctx);
    expect(a).toHaveLength(ML_DSA_65.signatureBytes);
    expect(a).not.toEqual(b);
    expect(p.mlDsaVerify(kp.publicKey, msg, a, ctx)).toBe(true);
    expect(ml_dsa65.verify(b, msg, kp.publicKey, { context: ctx })).toBe(true);
    expect(p.mlDsaVerify(kp.publicKey, msg, a)).toBe(false);
    expect(p.mlDsaVerify(kp.publicKey, msg, a, new TextEncoder().encode('ipqsec/other'))).toBe(false);
    const plain = p.mlDsaSign(kp, msg);
    expect(p.mlDsaVerify(kp.publicKey, msg, plain)).toBe(true);
    expect(p.mlDsaVerify(kp.publicKey, msg, plain, new Uint8Array(0))).toBe(true);
    expect(ml_dsa65.verify(plain, msg, kp.publicKey)).toBe(true);
  });

  it('ML-DSA verify is false (never throws) for wrong-length or random signatures and public keys; context > 255 is RangeError', () => {
    const kp = p.mlDsaKeygen();
    const msg = new Uint8Array(10);
    const sig = p.mlDsaSign(kp, msg);
    expect(p.mlDsaVerify(kp.publicKey, msg, sig.subarray(1))).toBe(false);
    expect(p.mlDsaVerify(kp.publicKey.subarray(1), msg, sig)).toBe(false);
    expect(() => p.mlDsaVerify(kp.publicKey, msg, sig, new Uint8Array(256))).toThrow(RangeError);
    expect(() => p.mlDsaSign(kp, msg, new Uint8Array(256))).toThrow(RangeError);
    expect(() => p.mlDsaKeygen(new Uint8Array(31))).toThrow(RangeError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3400 }), fc.boolean(), (bytes, full) => {
        const s = full ? new Uint8Array(3309).map((_, i) => bytes[i % Math.max(1, bytes.length)] ?? 0) : bytes;
        expect(p.mlDsaVerify(kp.publicKey, msg, s)).toBe(false);
      }),
      { numRuns: 40 },
    );
    for (let i = 0; i < sig.length; i += 331) {
      const t = new Uint8Array(sig);
      t[i] ^= 0x10;
      expect(p.mlDsaVerify(kp.publicKey, msg, t)).toBe(false);
    }
  });
});
