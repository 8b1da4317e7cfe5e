/**
 * The post-quantum layer's public surface: the crypto provider (node:crypto native | @noble/post-quantum), the
 * classical parts, X-Wing, key files, enrollment proofs, the secure channel (envelopes, sessions, server and
 * client) and signed server keys. Formats: docs/envelope.md; key files: the header comment of key-file.ts.
 */
export { ML_DSA_65, ML_KEM_768, type KemEncapsulation, type MlDsaKeyPair, type MlKemKeyPair, type PqcBackendName, type PqcProvider } from './provider.js';
export { createPqcProvider, defaultPqcProvider, nativePqcAvailable, PQC_BACKENDS } from './select-provider.js';
export { aes256GcmKey, aes256GcmOpen, aes256GcmSeal, hkdfSha256, sha256, sha3_256, x25519, x25519PublicKey, type Aes256GcmKey } from './classical.js';
export { XWING, xwingDecapsulate, xwingEncapsulate, xwingKeygen, type XWingKeyPair } from './xwing.js';
export { decodeKeyFile, encodeKeyFile, inspectKeyFile, keyPairFromSeed, publicKeyId, type KeyAlgorithm, type KeyFileContents, type KeyFileInfo } from './key-file.js';
export { enrollmentMessage, enrollmentProof, verifyEnrollmentProof } from './enrollment.js';
export { decodeEnvelope, DEVICE_ID_PATTERN, ENVELOPE_VERSION, type Envelope } from './envelope.js';
export { ReplayWindow } from './replay-window.js';
export { CHANNEL_REJECT_REASONS, ChannelSession, rejectionReason, SESSION_DEFAULTS, type ChannelRejectReason, type SessionOptions } from './session.js';
export { ChannelServer, type ChannelServerOptions } from './channel-server.js';
export { ChannelClient, type ChannelClientOptions } from './channel-client.js';
export { readServerKeysDocument, serverKeysDocument, signServerKeys, verifyServerKeys, type ServerKeyStatement, type ServerKeysDocument } from './server-keys.js';
export { signModelSignedPart, verifyModelSignature, type ModelSignatureStatus } from './model-signature.js';
