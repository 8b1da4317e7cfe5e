/**
 * Who signs and verifies signed notes (C2SP signed-note), and the ML-DSA-65 (FIPS 204) note signature type IPqSEC
 * uses for the log's own checkpoint signatures.
 *
 * Signature type. C2SP signed-note assigns type bytes 0x01 (Ed25519), 0x02 (ECDSA), 0x04 (timestamped Ed25519
 * cosignatures), 0x05 (RFC 6962 tree head signatures), and C2SP tlog-cosignature 0x06 (ML-DSA-44 subtree
 * cosignatures). None is ML-DSA-65, so, as signed-note recommends for unassigned types, the type is the byte 0xff
 * followed by a longer identifier: {@link ML_DSA_65_NOTE_TYPE} = `0xff || "ipqsec/note/ml-dsa-65"` (22 bytes).
 *
 * - Key ID (signed-note): `SHA-256(name || 0x0A || ML_DSA_65_NOTE_TYPE || 1,952-byte public key)[:4]`.
 * - Signature: ML-DSA-65 (FIPS 204 Algorithm 2, hedged) over the UTF-8 note text, with the context string
 *   {@link NOTE_SIGNATURE_CONTEXT} = `"ipqsec-signed-note-v1"` so that a signature made with the same key in another
 *   IPqSEC protocol can never pass as a note signature. 3,309 bytes.
 * - Verifier key: `name+<key id hex>+base64(ML_DSA_65_NOTE_TYPE || public key)` ({@link mlDsaNoteVerifierKey}).
 */
import { ML_DSA_65, type MlDsaKeyPair, type PqcProvider } from '../pqc/provider.js';
import { concatBytes, utf8 } from './_bytes.js';
import { formatVerifierKey, isValidKeyName, keyIdOf } from './signed-note.js';

/** Signs note texts for one key (C2SP signed-note). */
export interface NoteSigner {
  /** Key name (non-empty, no Unicode spaces, no `+`). */
  readonly name: string;
  /** The 4-byte key ID. */
  readonly keyId: Uint8Array;
  /** Signature bytes (without the key ID) over `message`, the UTF-8 note text including its final newline. */
  sign(message: Uint8Array): Uint8Array;
}

/** Verifies note signatures of one key (C2SP signed-note). */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Uint8Array;
  /** True when `signature` (without the key ID) is valid over `message`, the UTF-8 note text; never throws. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** Signature type of ML-DSA-65 note signatures: `0xff || "ipqsec/note/ml-dsa-65"`. */
export const ML_DSA_65_NOTE_TYPE: Uint8Array = concatBytes(new Uint8Array([0xff]), utf8('ipqsec/note/ml-dsa-65'));

/** ML-DSA context string (FIPS 204 §5.2) of note signatures. */
export const NOTE_SIGNATURE_CONTEXT: Uint8Array = utf8('ipqsec-signed-note-v1');

function checkName(name: string): void {
  if (!isValidKeyName(name)) throw new TypeError(`note key name must be non-empty, without spaces or "+": ${JSON.stringify(name)}`);
}

function checkPublicKey(publicKey: Uint8Array): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ML_DSA_65.publicKeyBytes) throw new RangeError(`ML-DSA-65 public key must be ${ML_DSA_65.publicKeyBytes} bytes`);
}

/** The key ID of an ML-DSA-65 note key. @throws TypeError/RangeError for a bad name or key length */
export function mlDsaNoteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  checkName(name);
  checkPublicKey(publicKey);
  return keyIdOf(name, concatBytes(ML_DSA_65_NOTE_TYPE, publicKey));
}

/** The verifier key string `name+keyid+base64(type||public key)` of an ML-DSA-65 note key. */
export function mlDsaNoteVerifierKey(name: string, publicKey: Uint8Array): string {
  checkName(name);
  checkPublicKey(publicKey);
  return formatVerifierKey(name, concatBytes(ML_DSA_65_NOTE_TYPE, publicKey));
}

/**
 * A note signer with an ML-DSA-65 key pair (reuse the same object: a back-end may cache the expanded key).
 * @throws TypeError for a bad name, RangeError for a public key of the wrong length
 */
export function mlDsaNoteSigner(p: PqcProvider, name: string, keyPair: MlDsaKeyPair): NoteSigner {
  const keyId = mlDsaNoteKeyId(name, keyPair.publicKey);
  return Object.freeze({
    name,
    keyId,
    sign: (message: Uint8Array) => p.mlDsaSign(keyPair, message, NOTE_SIGNATURE_CONTEXT),
  });
}

/**
 * A note verifier for an ML-DSA-65 public key (1,952 bytes).
 * @throws TypeError for a bad name, RangeError for a public key of the wrong length
 */
export function mlDsaNoteVerifier(p: PqcProvider, name: string, publicKey: Uint8Array): NoteVerifier {
  const keyId = mlDsaNoteKeyId(name, publicKey);
  const pk = publicKey.slice();
  return Object.freeze({
    name,
    keyId,
    verify: (message: Uint8Array, signature: Uint8Array) => {
      if (!(signature instanceof Uint8Array) || signature.length !== ML_DSA_65.signatureBytes) return false;
      try {
        return p.mlDsaVerify(pk, message, signature, NOTE_SIGNATURE_CONTEXT);
      } catch {
        return false;
      }
    },
  });
}
