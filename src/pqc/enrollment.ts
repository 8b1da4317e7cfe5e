/**
 * Proof of possession for device enrollment (`POST /api/v1/devices`): the device signs its own id and ML-DSA-65
 * public key, so nobody can enroll a public key whose secret key they do not hold (and the server records the
 * proof with the enrollment).
 *
 * Message: ASCII `ipqsec-enroll-v1` ‖ u8 length of the device id ‖ device id (ASCII, {@link DEVICE_ID_PATTERN})
 * ‖ ML-DSA-65 public key (1,952 bytes). Signature: ML-DSA-65 (FIPS 204 Algorithm 2) over the message with the
 * context string `ipqsec-enroll-v1` as well (FIPS 204 §5.2), 3,309 bytes. The length prefix makes the encoding
 * injective; the context keeps the signature from being valid for any other IPqSEC purpose.
 */
import { DEVICE_ID_PATTERN } from './envelope.js';
import { ML_DSA_65, type MlDsaKeyPair, type PqcProvider } from './provider.js';

/** Label and ML-DSA context string of enrollment proofs. */
export const ENROLL_CONTEXT = 'ipqsec-enroll-v1';

const LABEL = new TextEncoder().encode(ENROLL_CONTEXT);

/**
 * The signed message of an enrollment proof.
 *
 * @throws RangeError when the device id does not match {@link DEVICE_ID_PATTERN} or the key is not 1,952 bytes
 */
export function enrollmentMessage(deviceId: string, publicKey: Uint8Array): Uint8Array {
  if (typeof deviceId !== 'string' || !DEVICE_ID_PATTERN.test(deviceId)) throw new RangeError(`device id ${JSON.stringify(deviceId)} does not match ${DEVICE_ID_PATTERN}`);
  if (publicKey.length !== ML_DSA_65.publicKeyBytes) throw new RangeError(`public key must be ${ML_DSA_65.publicKeyBytes} bytes`);
  const out = new Uint8Array(LABEL.length + 1 + deviceId.length + publicKey.length);
  out.set(LABEL, 0);
  out[LABEL.length] = deviceId.length;
  for (let i = 0; i < deviceId.length; i++) out[LABEL.length + 1 + i] = deviceId.charCodeAt(i);
  out.set(publicKey, LABEL.length + 1 + deviceId.length);
  return out;
}

/**
 * The enrollment proof of `identity` for `deviceId` (ML-DSA-65 signature, 3,309 bytes).
 *
 * @throws RangeError as {@link enrollmentMessage}
 */
export function enrollmentProof(p: PqcProvider, deviceId: string, identity: MlDsaKeyPair): Uint8Array {
  return p.mlDsaSign(identity, enrollmentMessage(deviceId, identity.publicKey), LABEL);
}

/**
 * Whether `proof` is a valid enrollment proof of `publicKey` for `deviceId`. False (never a throw) for any bad
 * input: a malformed device id, a key or proof of the wrong length, a failing signature.
 */
export function verifyEnrollmentProof(p: PqcProvider, deviceId: string, publicKey: Uint8Array, proof: Uint8Array): boolean {
  if (typeof deviceId !== 'string' || !DEVICE_ID_PATTERN.test(deviceId) || !(publicKey instanceof Uint8Array) || publicKey.length !== ML_DSA_65.publicKeyBytes) return false;
  if (!(proof instanceof Uint8Array) || proof.length !== ML_DSA_65.signatureBytes) return false;
  return p.mlDsaVerify(publicKey, enrollmentMessage(deviceId, publicKey), proof, LABEL);
}
