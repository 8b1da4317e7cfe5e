/**
 * Signed model files, whole-file level: the framing of `src/ml/model-file.ts` (which must not import `src/pqc`)
 * put together with the ML-DSA-65 signatures of `src/pqc/model-signature.ts`. Used by `ipqsec model sign|verify`,
 * `ipqsec train --sign-key` and the service (`assertModelTrusted`, `--model-key`, `--allow-unsigned-model`).
 */
import { IpqsecError } from '../core/errors.js';
import { attachModelSignature, modelFileSignedPart, readModelSignatureBlock } from '../ml/model-file.js';
import { signModelSignedPart, verifyModelSignature, type ModelSignatureStatus } from '../pqc/model-signature.js';
import type { MlDsaKeyPair, PqcProvider } from '../pqc/provider.js';
import { defaultPqcProvider } from '../pqc/select-provider.js';
import { readKeyFile, readPublicKeyFile } from './key-files.js';

/**
 * Signs a model file: sets flag bit 0, recomputes the checksum, signs bytes `0 … end of checksum` with ML-DSA-65
 * (context `ipqsec-model-v1`) and appends the signature block (`docs/model-file.md`, "Signature block"). A
 * signature already present is replaced. Does not check the bundle beyond the checksum; decode it first to be sure.
 * @throws IpqsecError IPQ-M001/M002/M003 when `fileBytes` is not a valid model file.
 */
export function signModelFile(p: PqcProvider, keyPair: MlDsaKeyPair, fileBytes: Uint8Array, fileName?: string): Uint8Array {
  const signedPart = modelFileSignedPart(fileBytes, fileName);
  const block = signModelSignedPart(p, keyPair, signedPart);
  return attachModelSignature(fileBytes, block, fileName);
}

/**
 * Checks a model file's signature against trusted ML-DSA-65 public keys (see `verifyModelSignature`).
 * @throws IpqsecError IPQ-M001/M002/M003 when `fileBytes` is not a valid model file (damage, not a bad signature).
 */
export function verifyModelFile(p: PqcProvider, fileBytes: Uint8Array, trustedPublicKeys: readonly Uint8Array[], fileName?: string): ModelSignatureStatus {
  const parts = readModelSignatureBlock(fileBytes, fileName);
  if (parts === undefined) return verifyModelSignature(p, fileBytes, undefined, trustedPublicKeys);
  return verifyModelSignature(p, parts.signedPart, parts.block, trustedPublicKeys);
}

/** Options of {@link assertModelTrusted}. */
export interface ModelTrustOptions {
  /** ML-DSA-65 public keys whose model signatures are accepted (`--model-key`; {@link loadTrustedModelKeys}). */
  readonly trustedKeys: readonly Uint8Array[];
  /** `--allow-unsigned-model`: accept a model that is unsigned or whose signature does not verify. */
  readonly allowUnsigned: boolean;
  /** Default `defaultPqcProvider()`. */
  readonly provider?: PqcProvider;
}

/**
 * Refuses a model file that is not signed by a trusted key, unless `allowUnsigned`. Returns the status, so the
 * caller can log a warning for an accepted `unsigned` or `invalid` model. `allowUnsigned` lifts both refusals,
 * since anyone can turn a signed file into an unsigned one (clear flag bit 0, recompute the checksum).
 * @param path names the file in the error.
 * @throws IpqsecError IPQ-P008 naming the file and the reason (`details`: `status`, `reason`, `keyId`) when the
 *   model is unsigned or its signature is invalid or untrusted and `allowUnsigned` is false; IPQ-M001/M002/M003
 *   when the bytes are not a valid model file.
 */
export function assertModelTrusted(path: string, bytes: Uint8Array, opts: ModelTrustOptions): ModelSignatureStatus {
  const status = verifyModelFile(opts.provider ?? defaultPqcProvider(), bytes, opts.trustedKeys, path);
  if (status.status === 'valid' || opts.allowUnsigned) return status;
  const reason = status.status === 'unsigned' ? 'the model file is not signed' : status.reason;
  throw new IpqsecError('IPQ-P008', reason, {
    location: { file: path },
    details: { status: status.status, reason, ...(status.status === 'invalid' && status.keyId !== undefined ? { keyId: status.keyId } : {}) },
  });
}

/**
 * Reads the trusted model-signing keys named by `--model-key` (each a key file, `ipqsec keys show --json`
 * output, or a base64 public key; see `readPublicKeyFile`).
 * @throws IpqsecError IPQ-P002 when a file cannot be read or holds no public key; IPQ-C001 when it holds an X-Wing
 *   (not ML-DSA-65) key.
 */
export async function loadTrustedModelKeys(paths: readonly string[]): Promise<Uint8Array[]> {
  const keys: Uint8Array[] = [];
  for (const path of paths) {
    const k = await readPublicKeyFile(path);
    if (k.algorithm !== 'ML-DSA-65') {
      throw new IpqsecError('IPQ-C001', `holds an ${k.algorithm} key; model signatures use ML-DSA-65 keys`, { location: { file: path } });
    }
    keys.push(k.publicKey);
  }
  return keys;
}

/**
 * Loads an ML-DSA-65 signing key from a key file (mode 0600 enforced; encrypted files need the passphrase).
 * @throws IpqsecError as `readKeyFile`; IPQ-C001 when the file holds an X-Wing key.
 */
export async function loadModelSigningKey(path: string, p: PqcProvider, opts: { readonly passphrase?: string } = {}): Promise<MlDsaKeyPair> {
  const k = await readKeyFile(path, p, opts);
  if (k.algorithm !== 'ML-DSA-65') {
    throw new IpqsecError('IPQ-C001', `holds an ${k.algorithm} key; models are signed with an ML-DSA-65 key (ipqsec keys gen --alg ml-dsa-65)`, {
      location: { file: path },
    });
  }
  return { seed: k.seed, publicKey: k.publicKey };
}
