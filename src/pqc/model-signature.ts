/**
 * ML-DSA-65 signatures over model files (`docs/model-file.md`, "Signature block").
 *
 * The signed message is the model file's signed part: every byte up to and including its SHA-256 checksum, with
 * flag bit 0 set. The signature is ML-DSA-65 (FIPS 204 Algorithm 2, hedged; verification Algorithm 3) with the
 * context string {@link MODEL_SIGNATURE_CONTEXT}, so it cannot be confused with any other IPqSEC signature.
 *
 * Layering: `src/pqc` must not import `src/ml`, so this module works on the parts only; splitting a file and
 * attaching a block (`modelFileSignedPart`, `attachModelSignature`, `readModelSignatureBlock`) is in
 * `src/ml/model-file.ts`, and `src/cli/model-signing.ts` puts the two together for whole files.
 */
import { constantTimeEqual } from './classical.js';
import { publicKeyId } from './key-file.js';
import { ML_DSA_65 } from './provider.js';
import type { MlDsaKeyPair, PqcProvider } from './provider.js';

/** ML-DSA context string of model signatures: ASCII `ipqsec-model-v1` (15 bytes, FIPS 204 §5.2 `ctx`). */
export const MODEL_SIGNATURE_CONTEXT: Uint8Array = new TextEncoder().encode('ipqsec-model-v1');

/** Algorithm id of ML-DSA-65 in a model signature block. */
export const MODEL_SIGNATURE_ML_DSA_65 = 1;

/**
 * A model signature block's contents (same shape as `ModelSignatureBlock` of `src/ml/model-file.ts`):
 * algorithm id, the signer's public key, the signature.
 */
export interface ModelSignature {
  readonly algorithm: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Outcome of checking a model's signature:
 * - `valid`: signed with algorithm 1 by a trusted key (`keyId`: first 8 bytes of SHA-256(public key), hex);
 * - `unsigned`: the file carries no signature block;
 * - `invalid`: a block is present but the algorithm is unknown, the key is not trusted (`keyId` then names it),
 *   or the signature does not verify over the signed part (`reason` says which).
 */
export type ModelSignatureStatus =
  | { readonly status: 'valid'; readonly keyId: string }
  | { readonly status: 'unsigned' }
  | { readonly status: 'invalid'; readonly reason: string; readonly keyId?: string };

/**
 * Signs the signed part of a model file (from `modelFileSignedPart`) with an ML-DSA-65 key pair.
 * Cost: one ML-DSA-65 signature over the whole signed part (milliseconds per MB with the noble back-end).
 * @throws RangeError when the key pair is not ML-DSA-65 (as the provider's `mlDsaSign`).
 */
export function signModelSignedPart(p: PqcProvider, keyPair: MlDsaKeyPair, signedPart: Uint8Array): ModelSignature {
  const signature = p.mlDsaSign(keyPair, signedPart, MODEL_SIGNATURE_CONTEXT);
  return { algorithm: MODEL_SIGNATURE_ML_DSA_65, publicKey: keyPair.publicKey, signature };
}

/**
 * Checks a model signature against a list of trusted ML-DSA-65 public keys. Never throws for bad signature
 * data; an empty trust list makes every signature `invalid` (untrusted key).
 * @param signature the file's block, or undefined for an unsigned file (status `unsigned`).
 */
export function verifyModelSignature(
  p: PqcProvider,
  signedPart: Uint8Array,
  signature: ModelSignature | undefined,
  trustedPublicKeys: readonly Uint8Array[],
): ModelSignatureStatus {
  if (signature === undefined) return { status: 'unsigned' };
  if (signature.algorithm !== MODEL_SIGNATURE_ML_DSA_65) {
    return { status: 'invalid', reason: `unknown signature algorithm ${signature.algorithm} (1 = ML-DSA-65)` };
  }
  if (signature.publicKey.length !== ML_DSA_65.publicKeyBytes) {
    return { status: 'invalid', reason: `ML-DSA-65 public key has ${signature.publicKey.length} bytes, expected ${ML_DSA_65.publicKeyBytes}` };
  }
  const keyId = publicKeyId(signature.publicKey);
  if (!trustedPublicKeys.some((k) => constantTimeEqual(k, signature.publicKey))) {
    return { status: 'invalid', reason: `signed by key ${keyId}, which is not a trusted model key`, keyId };
  }
  let ok = false;
  try {
    ok = p.mlDsaVerify(signature.publicKey, signedPart, signature.signature, MODEL_SIGNATURE_CONTEXT);
  } catch {
    ok = false;
  }
  if (!ok) {
    return { status: 'invalid', reason: `the ML-DSA-65 signature by key ${keyId} does not verify: the model was changed after signing or the signature is damaged`, keyId };
  }
  return { status: 'valid', keyId };
}
