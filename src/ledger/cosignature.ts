/**
 * Witness cosignatures: C2SP tlog-cosignature, its ML-DSA variant adapted from ML-DSA-44 to ML-DSA-65.
 *
 * A cosignature is a signed-note signature line added to a checkpoint by a witness (cosigner) that checked the
 * checkpoint is consistent with everything it saw of the log before. Format, byte-exact:
 *
 * - Signature type: {@link ML_DSA_65_COSIGNATURE_TYPE} = `0xff || "ipqsec/cosignature/ml-dsa-65"` (29 bytes).
 *   tlog-cosignature assigns 0x06 to *ML-DSA-44* cosignatures (1,312-byte keys); reusing it for ML-DSA-65 would
 *   make our lines look like malformed ML-DSA-44 ones to other verifiers, so the signed-note escape byte 0xff and
 *   a long identifier are used instead.
 * - Key ID: `SHA-256(name || 0x0A || ML_DSA_65_COSIGNATURE_TYPE || 1,952-byte public key)[:4]`.
 * - Line: `— <cosigner name> base64(key ID || timestamped_signature)`, with
 *   `timestamped_signature = u64 big-endian timestamp (POSIX seconds) || ML-DSA-65 signature (3,309 bytes)`.
 * - Signed message: the tlog-cosignature `cosigned_message` of the ML-DSA variant, unchanged:
 *   `"subtree/v1\n\0"` (12 bytes) || u8 len || cosigner name || u64 timestamp || u8 len || log origin ||
 *   u64 start (0 for a checkpoint) || u64 end (the tree size) || 32-byte root hash, integers big-endian.
 *   It commits to the cosigner's name and not to extension lines.
 * - ML-DSA-65 (FIPS 204) with the context string {@link COSIGNATURE_CONTEXT} = `"ipqsec-cosignature-v1"`
 *   (the C2SP ML-DSA-44 variant signs with an empty context).
 *
 * What was adapted from C2SP: the parameter set (ML-DSA-65 instead of ML-DSA-44; signature 3,309 bytes instead of
 * 2,420), hence the type identifier, and the context string. The message structure, the timestamp semantics ("as
 * of this time, this is the largest consistent tree the witness observed") and the line format are the spec's.
 */
import { ML_DSA_65, type MlDsaKeyPair, type PqcProvider } from '../pqc/provider.js';
import { concatBytes, uint64be, utf8 } from './_bytes.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import type { NoteSigner, NoteVerifier } from './note-signer.js';
import { formatVerifierKey, isValidKeyName, keyIdOf } from './signed-note.js';

/** Signature type of ML-DSA-65 cosignatures: `0xff || "ipqsec/cosignature/ml-dsa-65"`. */
export const ML_DSA_65_COSIGNATURE_TYPE: Uint8Array = concatBytes(new Uint8Array([0xff]), utf8('ipqsec/cosignature/ml-dsa-65'));

/** ML-DSA context string of cosignatures. */
export const COSIGNATURE_CONTEXT: Uint8Array = utf8('ipqsec-cosignature-v1');

/** Bytes of a timestamped ML-DSA-65 cosignature (after the key ID): 8 + 3,309. */
export const COSIGNATURE_BYTES = 8 + ML_DSA_65.signatureBytes;

const LABEL = concatBytes(utf8('subtree/v1\n'), new Uint8Array([0]));

function shortString(s: string, what: string): Uint8Array {
  const b = utf8(s);
  if (b.length < 1 || b.length > 255) throw new RangeError(`${what} must be 1..255 bytes of UTF-8`);
  return concatBytes(new Uint8Array([b.length]), b);
}

/**
 * The C2SP tlog-cosignature `cosigned_message` for a checkpoint (start 0, end = size).
 * @param timestampS POSIX seconds, a safe integer >= 0
 * @throws RangeError when the name or origin is not 1..255 bytes or the timestamp is out of range
 */
export function cosignedMessage(cosignerName: string, timestampS: number, checkpoint: Pick<Checkpoint, 'origin' | 'size' | 'rootHash'>): Uint8Array {
  if (!Number.isSafeInteger(timestampS) || timestampS < 0) throw new RangeError(`cosignature timestamp must be an integer >= 0, got ${timestampS}`);
  return concatBytes(
    LABEL,
    shortString(cosignerName, 'cosigner name'),
    uint64be(timestampS),
    shortString(checkpoint.origin, 'log origin'),
    uint64be(0),
    uint64be(checkpoint.size),
    checkpoint.rootHash,
  );
}

function checkKey(name: string, publicKey: Uint8Array): void {
  if (!isValidKeyName(name)) throw new TypeError(`cosigner name must be non-empty, without spaces or "+": ${JSON.stringify(name)}`);
  if (utf8(name).length > 255) throw new RangeError('cosigner name must be at most 255 bytes');
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ML_DSA_65.publicKeyBytes) throw new RangeError(`ML-DSA-65 public key must be ${ML_DSA_65.publicKeyBytes} bytes`);
}

/** The key ID of an ML-DSA-65 cosigner key. */
export function cosignerKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  checkKey(name, publicKey);
  return keyIdOf(name, concatBytes(ML_DSA_65_COSIGNATURE_TYPE, publicKey));
}

/** The verifier key string of an ML-DSA-65 cosigner: `name+keyid+base64(type || public key)`. */
export function cosignerVerifierKey(name: string, publicKey: Uint8Array): string {
  checkKey(name, publicKey);
  return formatVerifierKey(name, concatBytes(ML_DSA_65_COSIGNATURE_TYPE, publicKey));
}

/**
 * A cosigner as a {@link NoteSigner}: `sign(noteText)` parses the checkpoint from the note text and returns
 * `u64 timestamp || ML-DSA-65 signature` over the cosigned message, with the time from `nowMs` (epoch ms, floored
 * to seconds).
 * @throws TypeError/RangeError for a bad name or key; `sign` throws IpqsecError `IPQ-L004` when the text is not a checkpoint
 */
export function mlDsaCosigner(p: PqcProvider, name: string, keyPair: MlDsaKeyPair, nowMs: () => number): NoteSigner {
  const keyId = cosignerKeyId(name, keyPair.publicKey);
  return Object.freeze({
    name,
    keyId,
    sign: (message: Uint8Array) => {
      const c = parseCheckpoint(new TextDecoder().decode(message));
      const ts = Math.floor(nowMs() / 1000);
      return concatBytes(uint64be(ts), p.mlDsaSign(keyPair, cosignedMessage(name, ts, c), COSIGNATURE_CONTEXT));
    },
  });
}

/** The timestamp (POSIX seconds) of a timestamped cosignature, or undefined when it has the wrong length or is above 2^53 − 1. */
export function cosignatureTimestamp(signature: Uint8Array): number | undefined {
  if (!(signature instanceof Uint8Array) || signature.length !== COSIGNATURE_BYTES) return undefined;
  const t = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
  return t > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(t);
}

const FATAL_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A cosignature verifier as a {@link NoteVerifier}: `verify(noteText, signature)` is true when the signature is
 * `u64 timestamp || ML-DSA-65 signature` over the cosigned message of the checkpoint in the note text. Never throws.
 * @throws TypeError/RangeError for a bad name or key
 */
export function mlDsaCosignatureVerifier(p: PqcProvider, name: string, publicKey: Uint8Array): NoteVerifier {
  const keyId = cosignerKeyId(name, publicKey);
  const pk = publicKey.slice();
  return Object.freeze({
    name,
    keyId,
    verify: (message: Uint8Array, signature: Uint8Array) => {
      const ts = cosignatureTimestamp(signature);
      if (ts === undefined) return false;
      try {
        const c = parseCheckpoint(FATAL_UTF8.decode(message));
        return p.mlDsaVerify(pk, cosignedMessage(name, ts, c), signature.subarray(8), COSIGNATURE_CONTEXT);
      } catch {
        return false;
      }
    },
  });
}
