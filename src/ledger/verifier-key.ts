/**
 * Verifier key strings (`name+keyid+base64(type || public key)`, signed-note.ts) of the two key types of the log:
 * the log's own ML-DSA-65 note key and ML-DSA-65 witness cosigner keys.
 */
import { IpqsecError } from '../core/errors.js';
import { ML_DSA_65, type PqcProvider } from '../pqc/provider.js';
import { bytesEqual } from './_bytes.js';
import { ML_DSA_65_COSIGNATURE_TYPE, mlDsaCosignatureVerifier } from './cosignature.js';
import { ML_DSA_65_NOTE_TYPE, mlDsaNoteVerifier, type NoteVerifier } from './note-signer.js';
import { parseVerifierKey } from './signed-note.js';

/** A verifier built from a verifier key string. */
export interface KeyedVerifier extends NoteVerifier {
  /** `log`: an ML-DSA-65 note key (checkpoint signatures); `cosigner`: an ML-DSA-65 witness key. */
  readonly kind: 'log' | 'cosigner';
  /** The 1,952-byte ML-DSA-65 public key. */
  readonly publicKey: Uint8Array;
  /** The verifier key string it was built from. */
  readonly vkey: string;
}

function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  return b.length >= prefix.length && bytesEqual(b.subarray(0, prefix.length), prefix);
}

/**
 * Parses a verifier key string of an ML-DSA-65 log key or cosigner key into a verifier.
 * @param expect when given, the kind the key must be
 * @throws IpqsecError `IPQ-L004` when the string is malformed, of another signature type or kind, or has a key of
 *   the wrong length; never anything else
 */
export function verifierFromKey(p: PqcProvider, vkey: string, expect?: 'log' | 'cosigner'): KeyedVerifier {
  const k = parseVerifierKey(vkey);
  let kind: 'log' | 'cosigner';
  let publicKey: Uint8Array;
  if (startsWith(k.typeAndKey, ML_DSA_65_NOTE_TYPE)) {
    kind = 'log';
    publicKey = k.typeAndKey.slice(ML_DSA_65_NOTE_TYPE.length);
  } else if (startsWith(k.typeAndKey, ML_DSA_65_COSIGNATURE_TYPE)) {
    kind = 'cosigner';
    publicKey = k.typeAndKey.slice(ML_DSA_65_COSIGNATURE_TYPE.length);
  } else {
    throw new IpqsecError('IPQ-L004', `verifier key ${k.name}: unsupported signature type 0x${k.typeAndKey[0].toString(16).padStart(2, '0')} (expected an IPqSEC ML-DSA-65 key)`);
  }
  if (publicKey.length !== ML_DSA_65.publicKeyBytes) throw new IpqsecError('IPQ-L004', `verifier key ${k.name}: ML-DSA-65 public key must be ${ML_DSA_65.publicKeyBytes} bytes, got ${publicKey.length}`);
  if (expect !== undefined && kind !== expect) throw new IpqsecError('IPQ-L004', `verifier key ${k.name}: a ${kind} key where a ${expect} key is expected`);
  let v: NoteVerifier;
  try {
    v = kind === 'log' ? mlDsaNoteVerifier(p, k.name, publicKey) : mlDsaCosignatureVerifier(p, k.name, publicKey);
  } catch (e) {
    throw new IpqsecError('IPQ-L004', `verifier key ${k.name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return Object.freeze({ name: v.name, keyId: v.keyId, verify: v.verify, kind, publicKey, vkey });
}
