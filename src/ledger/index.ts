/**
 * The tamper-evident log, pure core (docs/ledger.md): canonical entries (RFC 8785), the RFC 9162 Merkle tree and
 * its proofs, C2SP checkpoints as signed notes with ML-DSA-65 signatures, ML-DSA-65 witness cosignatures
 * (C2SP tlog-cosignature, adapted), full-log verification, export bundles and the witness decision logic.
 */
export { canonicalJson, canonicalJsonBytes, parseCanonicalJson, MAX_JSON_DEPTH, type JsonValue } from './canonical-json.js';
export { encodeLogEntry, decodeLogEntry, LOG_ENTRY_KINDS, MAX_SUBJECT_LENGTH, type LogEntry, type LogEntryKind } from './log-entry.js';
export {
  HASH_BYTES,
  leafHash,
  nodeHash,
  emptyRoot,
  merkleTreeHash,
  inclusionProofOf,
  consistencyProofOf,
  rootFromInclusionProof,
  verifyInclusion,
  verifyConsistency,
} from './merkle.js';
export { MerkleTree, MERKLE_CHUNK_NODES } from './merkle-tree.js';
export {
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  isValidKeyName,
  keyIdOf,
  formatVerifierKey,
  parseVerifierKey,
  formatSignatureLine,
  parseSignatureLine,
  parseNote,
  formatNote,
  signNote,
  verifyNote,
  appendSignatureLines,
  type Note,
  type NoteSignature,
  type NoteVerification,
  type VerifierKey,
} from './signed-note.js';
export {
  ML_DSA_65_NOTE_TYPE,
  NOTE_SIGNATURE_CONTEXT,
  mlDsaNoteKeyId,
  mlDsaNoteVerifierKey,
  mlDsaNoteSigner,
  mlDsaNoteVerifier,
  type NoteSigner,
  type NoteVerifier,
} from './note-signer.js';
export { formatCheckpoint, parseCheckpoint, sameTreeHead, signCheckpoint, openCheckpoint, type Checkpoint, type VerifiedCheckpoint } from './checkpoint.js';
export {
  ML_DSA_65_COSIGNATURE_TYPE,
  COSIGNATURE_CONTEXT,
  COSIGNATURE_BYTES,
  cosignedMessage,
  cosignerKeyId,
  cosignerVerifierKey,
  cosignatureTimestamp,
  mlDsaCosigner,
  mlDsaCosignatureVerifier,
} from './cosignature.js';
export { verifierFromKey, type KeyedVerifier } from './verifier-key.js';
export {
  verifyLog,
  locateFirstBadIndex,
  logVerificationError,
  problemCode,
  type LogVerification,
  type LogVerificationInput,
  type LogProblem,
  type LogProblemKind,
  type ConsistencyProofRecord,
} from './verify-log.js';
export { formatLogBundle, parseLogBundle, LOG_BUNDLE_FORMAT, LOG_BUNDLE_VERSION, type LogBundle } from './bundle.js';
export { Witness, type WitnessState, type WitnessOptions, type WitnessPlan, type WitnessDecision } from './witness.js';
