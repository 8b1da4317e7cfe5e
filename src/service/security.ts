/**
 * Composes the post-quantum side of the service (issue 4): the tamper-evident log (audit-log.ts), the device
 * registry (device-registry.ts), the secure channel's server (src/pqc/channel-server.ts) and the documents the API
 * publishes (the signed server KEM key, the log key). The keys come from the caller (the CLI loads or creates
 * them under the data directory); this module does no file I/O.
 *
 * Key changes are logged: at open, a `key` entry is appended for the server identity and KEM key when their ids
 * differ from the ones recorded at the previous start (first start: `created`; later: `rotated`).
 */
import { mlDsaCosignatureVerifier } from '../ledger/cosignature.js';
import { mlDsaNoteKeyId, mlDsaNoteSigner, mlDsaNoteVerifierKey } from '../ledger/note-signer.js';
import { ChannelServer } from '../pqc/channel-server.js';
import type { MlDsaKeyPair, PqcProvider } from '../pqc/provider.js';
import { serverKeysDocument, signServerKeys } from '../pqc/server-keys.js';
import type { XWingKeyPair } from '../pqc/xwing.js';
import type { Store } from '../store/store.js';
import { AuditLog } from './audit-log.js';
import { DeviceRegistry, publicKeyId } from './device-registry.js';

/** How long a signed KEM key statement is valid (ms): 30 days; it is re-signed every day. */
export const SERVER_KEYS_VALIDITY_MS = 30 * 24 * 3600 * 1000;
const RESIGN_EVERY_MS = 24 * 3600 * 1000;
/** State key of the key ids recorded at the previous start. */
export const KEY_IDS_STATE_KEY = 'pqc.key_ids';

/** A witness whose cosignatures the server accepts. */
export interface WitnessKey {
  readonly name: string;
  /** ML-DSA-65 public key. */
  readonly publicKey: Uint8Array;
}

/** Options of {@link openSecurity}. */
export interface SecurityOptions {
  readonly store: Store;
  readonly provider: PqcProvider;
  /** The server identity (ML-DSA-65): signs the KEM key statement and the log checkpoints. */
  readonly identity: MlDsaKeyPair;
  /** The server KEM key (X-Wing). */
  readonly kem: XWingKeyPair;
  /** Identity name in the KEM key statement (printable ASCII, no spaces). Default `ipqsec-server`. */
  readonly name?: string;
  /** Checkpoint origin and log key name. Default `ipqsec.local/log/<identity key id>`. */
  readonly origin?: string;
  readonly witnesses?: readonly WitnessKey[];
  readonly nowMs?: () => number;
  readonly checkpointIntervalMs?: number;
  readonly checkpointEveryEntries?: number;
  /** Failures of background work (checkpoint signing, a failed log write). */
  readonly onError?: (e: unknown) => void;
}

/** The composed security services; {@link Security.close} stops the timers after a last checkpoint. */
export interface Security {
  readonly audit: AuditLog;
  readonly devices: DeviceRegistry;
  readonly channel: ChannelServer;
  readonly serverKeys: ReturnType<typeof serverKeysDocument>;
  readonly logKey: { readonly origin: string; readonly name: string; readonly public_key: string; readonly key_id: string; readonly vkey: string };
  /** The server identity's ML-DSA-65 public key (devices pin it). */
  readonly identityPublicKey: Uint8Array;
  close(): Promise<void>;
}

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

/**
 * Opens the log (rebuilding its tree from the store and checking it against the newest checkpoint), the registry
 * and the channel server, signs the KEM key statement and logs key changes.
 * @throws IpqsecError IPQ-L001 when the stored log does not match its newest signed checkpoint
 */
export async function openSecurity(o: SecurityOptions): Promise<Security> {
  const nowMs = o.nowMs ?? Date.now;
  const p = o.provider;
  const identityKeyId = publicKeyId(o.identity.publicKey);
  const origin = o.origin ?? `ipqsec.local/log/${identityKeyId}`;
  const audit = await AuditLog.open({
    store: o.store,
    origin,
    signer: mlDsaNoteSigner(p, origin, o.identity),
    witnesses: (o.witnesses ?? []).map((w) => mlDsaCosignatureVerifier(p, w.name, w.publicKey)),
    nowMs,
    ...(o.checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs: o.checkpointIntervalMs }),
    ...(o.checkpointEveryEntries === undefined ? {} : { checkpointEveryEntries: o.checkpointEveryEntries }),
    ...(o.onError === undefined ? {} : { onError: o.onError }),
  });
  // The registry and the channel refer to each other (lookup at hello; sessions dropped at revocation).
  const holder: { channel?: ChannelServer } = {};
  const devices = new DeviceRegistry({ store: o.store, provider: p, audit, nowMs, onRevoke: (id) => holder.channel?.revokeDevice(id) });
  const channel = new ChannelServer({ provider: p, kemKeyPair: o.kem, lookupDevice: (id) => devices.lookup(id), nowMs });
  holder.channel = channel;

  const name = o.name ?? 'ipqsec-server';
  const sign = () => {
    const now = nowMs();
    return serverKeysDocument(signServerKeys(p, o.identity, { name, kemPublicKey: o.kem.publicKey, createdMs: now, notAfterMs: now + SERVER_KEYS_VALIDITY_MS }), o.identity.publicKey);
  };
  const security = {
    audit,
    devices,
    channel,
    serverKeys: sign(),
    identityPublicKey: o.identity.publicKey,
    logKey: { origin, name: origin, public_key: b64(o.identity.publicKey), key_id: Buffer.from(mlDsaNoteKeyId(origin, o.identity.publicKey)).toString('hex'), vkey: mlDsaNoteVerifierKey(origin, o.identity.publicKey) },
    close: async () => {
      clearInterval(resign);
      await audit.close();
    },
  };
  const resign = setInterval(() => {
    try {
      security.serverKeys = sign();
    } catch (e) {
      o.onError?.(e);
    }
  }, RESIGN_EVERY_MS);
  resign.unref();

  await logKeyChanges(o.store, audit, nowMs(), { 'server-identity': identityKeyId, 'server-kem': channel.kemKeyId });
  return security;
}

/** Appends a `key` entry for each key whose id differs from the one recorded at the previous start. */
async function logKeyChanges(store: Store, audit: AuditLog, tsMs: number, current: Record<string, string>): Promise<void> {
  const raw = await store.getState(KEY_IDS_STATE_KEY);
  const previous = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const entries = [];
  for (const [subject, keyId] of Object.entries(current)) {
    const before = typeof previous[subject] === 'string' ? (previous[subject] as string) : null;
    if (before === keyId) continue;
    entries.push({ v: 1 as const, kind: 'key' as const, ts_ms: tsMs, subject, data: { op: before === null ? 'created' : 'rotated', key_id: keyId, previous_key_id: before } });
  }
  if (entries.length === 0) return;
  await audit.append(entries);
  await store.setState(KEY_IDS_STATE_KEY, current);
}
