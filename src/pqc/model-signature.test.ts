import { createHash } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testNobleProvider } from './_test-noble.js';
import { MODEL_SIGNATURE_CONTEXT, MODEL_SIGNATURE_ML_DSA_65, signModelSignedPart, verifyModelSignature } from './model-signature.js';

const p = testNobleProvider();
const signer = p.mlDsaKeygen(new Uint8Array(32).fill(1));
const stranger = p.mlDsaKeygen(new Uint8Array(32).fill(2));
const ctx = new TextEncoder().encode('ipqsec-model-v1');
/** Any bytes stand in for a model file's signed part here (src/pqc may not import src/ml); see model-signing.test.ts for files. */
const message = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);
const keyIdOf = (pk: Uint8Array) => createHash('sha256').update(pk).digest().subarray(0, 8).toString('hex');

describe('model signatures (ML-DSA-65, context ipqsec-model-v1)', () => {
  it('the context is the 15 ASCII bytes "ipqsec-model-v1"', () => {
    expect(Buffer.from(MODEL_SIGNATURE_CONTEXT).toString('latin1')).toBe('ipqsec-model-v1');
    expect(MODEL_SIGNATURE_ML_DSA_65).toBe(1);
  });

  it('signs so that a direct FIPS 204 verification with the context accepts, and without it refuses', () => {
    const sig = signModelSignedPart(p, signer, message);
    expect(sig.algorithm).toBe(1);
    expect(sig.publicKey).toEqual(signer.publicKey);
    expect(sig.signature.length).toBe(3309);
    expect(ml_dsa65.verify(sig.signature, message, signer.publicKey, { context: ctx })).toBe(true);
    expect(ml_dsa65.verify(sig.signature, message, signer.publicKey)).toBe(false);
    expect(verifyModelSignature(p, message, sig, [stranger.publicKey, signer.publicKey])).toEqual({ status: 'valid', keyId: keyIdOf(signer.publicKey) });
  });

  it('accepts a signature made directly with noble and the context (independent signer)', () => {
    const sk = ml_dsa65.keygen(signer.seed).secretKey;
    const signature = ml_dsa65.sign(message, sk, { context: ctx });
    expect(verifyModelSignature(p, message, { algorithm: 1, publicKey: signer.publicKey, signature }, [signer.publicKey]).status).toBe('valid');
    const noCtx = ml_dsa65.sign(message, sk);
    expect(verifyModelSignature(p, message, { algorithm: 1, publicKey: signer.publicKey, signature: noCtx }, [signer.publicKey]).status).toBe('invalid');
  });

  it('reports unsigned, untrusted, changed and malformed cases', () => {
    const sig = signModelSignedPart(p, signer, message);
    expect(verifyModelSignature(p, message, undefined, [signer.publicKey])).toEqual({ status: 'unsigned' });
    const untrusted = verifyModelSignature(p, message, sig, [stranger.publicKey]);
    expect(untrusted).toMatchObject({ status: 'invalid', keyId: keyIdOf(signer.publicKey) });
    expect(untrusted.status === 'invalid' && untrusted.reason).toMatch(/not a trusted model key/);
    expect(verifyModelSignature(p, message, sig, []).status).toBe('invalid');
    const changed = Uint8Array.from(message);
    changed[500] ^= 1;
    const bad = verifyModelSignature(p, changed, sig, [signer.publicKey]);
    expect(bad.status === 'invalid' && bad.reason).toMatch(/does not verify/);
    expect(verifyModelSignature(p, message, { ...sig, algorithm: 2 }, [signer.publicKey])).toMatchObject({ status: 'invalid', reason: expect.stringMatching(/unknown signature algorithm 2/) });
    expect(verifyModelSignature(p, message, { ...sig, publicKey: sig.publicKey.subarray(1) }, [signer.publicKey]).status).toBe('invalid');
    expect(verifyModelSignature(p, message, { ...sig, signature: sig.signature.subarray(0, 100) }, [signer.publicKey]).status).toBe('invalid');
    // A signature by the stranger, with the signer's public key in the block: refused.
    const forged = signModelSignedPart(p, stranger, message);
    expect(verifyModelSignature(p, message, { ...forged, publicKey: signer.publicKey }, [signer.publicKey]).status).toBe('invalid');
  });

  it('never throws for arbitrary block contents (property)', () => {
    const sig = signModelSignedPart(p, signer, message);
    fc.assert(
      fc.property(fc.nat(65535), fc.uint8Array({ maxLength: 4000 }), fc.nat(sig.signature.length - 1), fc.integer({ min: 1, max: 255 }), (alg, junk, at, mask) => {
        const flipped = Uint8Array.from(sig.signature);
        flipped[at] ^= mask;
        for (const block of [
          { algorithm: alg, publicKey: signer.publicKey, signature: junk },
          { algorithm: 1, publicKey: signer.publicKey, signature: flipped },
          { algorithm: 1, publicKey: junk, signature: sig.signature },
        ]) {
          expect(verifyModelSignature(p, message, block, [signer.publicKey, junk]).status).toBe('invalid');
        }
      }),
      { numRuns: 40 },
    );
  });
});
