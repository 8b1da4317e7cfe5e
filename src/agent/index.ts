/**
 * Edge-side clients: the secure uplink a device or edge agent uses (enroll, X-Wing session, sealed events) and
 * the tamper-evident log's client (checkpoints, entries, proofs, cosignatures).
 */
export { SecureUplink, ENVELOPE_CONTENT_TYPE, type SecureUplinkOptions, type TrustOnFirstUse } from './secure-uplink.js';
export { LogClient } from './log-client.js';
