/**
 * Device identities: enrollment (a device presents its ML-DSA-65 public key with a proof of possession), operator
 * approval and revocation. Every decision is appended to the tamper-evident log (`enrollment` entries). The secure
 * channel asks {@link DeviceRegistry.lookup} at each session set-up, so an unknown, pending or revoked device
 * cannot open a session; a revocation also drops the device's open sessions (`onRevoke`).
 */
import { IpqsecError } from '../core/errors.js';
import { sha256 } from '../pqc/classical.js';
import { DEVICE_ID_PATTERN } from '../pqc/envelope.js';
import { verifyEnrollmentProof } from '../pqc/enrollment.js';
import { ML_DSA_65, type PqcProvider } from '../pqc/provider.js';
import type { DeviceRecord, DeviceStatus, Store } from '../store/store.js';
import type { AuditPort } from './audit-port.js';


/** Options of {@link DeviceRegistry}. */
export interface DeviceRegistryOptions {
  readonly store: Store;
  readonly provider: PqcProvider;
  readonly audit?: AuditPort;
  readonly nowMs?: () => number;
  /** Called after a revocation (drop the device's sessions). */
  readonly onRevoke?: (deviceId: string) => void;
}

/** Key id of a public key: the first 8 bytes of its SHA-256, hex (as `ipqsec keys show` prints). */
export function publicKeyId(publicKey: Uint8Array): string {
  return Buffer.from(sha256(publicKey).subarray(0, 8)).toString('hex');
}

/** Enrollment, approval and revocation of devices. */
export class DeviceRegistry {
  readonly #o: DeviceRegistryOptions;
  readonly #nowMs: () => number;

  constructor(opts: DeviceRegistryOptions) {
    this.#o = opts;
    this.#nowMs = opts.nowMs ?? Date.now;
  }

  /**
   * Records a device's enrollment request as `pending`. Idempotent for the same key (the current record is
   * returned); a revoked device may enroll again with a new key.
   * @throws IpqsecError IPQ-E004 for a malformed id or key, IPQ-P006 when the proof of possession fails,
   *   IPQ-P009 when the id is enrolled (pending or approved) with another key
   */
  async enroll(deviceId: string, publicKey: Uint8Array, proof: Uint8Array, by: string): Promise<DeviceRecord> {
    if (!DEVICE_ID_PATTERN.test(deviceId)) throw new IpqsecError('IPQ-E004', `device_id ${JSON.stringify(deviceId.slice(0, 140))} must match ${DEVICE_ID_PATTERN.source}`);
    if (publicKey.length !== ML_DSA_65.publicKeyBytes) throw new IpqsecError('IPQ-E004', `public_key must be an ML-DSA-65 public key of ${ML_DSA_65.publicKeyBytes} bytes, got ${publicKey.length}`);
    if (!verifyEnrollmentProof(this.#o.provider, deviceId, publicKey, proof)) {
      throw new IpqsecError('IPQ-P006', `enrollment of ${deviceId}: the proof of possession does not verify with the presented key`, { details: { reason: 'bad_proof' } });
    }
    const keyId = publicKeyId(publicKey);
    const b64 = Buffer.from(publicKey).toString('base64');
    const existing = await this.#o.store.getDevice(deviceId);
    if (existing !== undefined && existing.status !== 'revoked') {
      if (existing.public_key === b64) return existing;
      throw new IpqsecError('IPQ-P009', `device ${deviceId} is ${existing.status} with key ${existing.key_id}, not ${keyId}`);
    }
    const now = this.#nowMs();
    const rec: DeviceRecord = { device_id: deviceId, public_key: b64, key_id: keyId, status: 'pending', created_ms: now, updated_ms: now, decided_by: null };
    await this.#o.store.putDevice(rec);
    await this.#log(rec, 'enroll', by);
    return rec;
  }

  /** Approves a pending device (idempotent for an approved one). @throws IpqsecError IPQ-E005 unknown id; IPQ-P009 when revoked */
  async approve(deviceId: string, by: string): Promise<DeviceRecord> {
    return this.#decide(deviceId, 'approved', by);
  }

  /** Revokes a device (idempotent) and drops its sessions. @throws IpqsecError IPQ-E005 unknown id */
  async revoke(deviceId: string, by: string): Promise<DeviceRecord> {
    const rec = await this.#decide(deviceId, 'revoked', by);
    this.#o.onRevoke?.(deviceId);
    return rec;
  }

  /** Every device, oldest first. */
  list(): Promise<DeviceRecord[]> {
    return this.#o.store.listDevices();
  }

  /** The channel's view of a device: its public key and status, or undefined when unknown. */
  async lookup(deviceId: string): Promise<{ publicKey: Uint8Array; status: DeviceStatus } | undefined> {
    const rec = await this.#o.store.getDevice(deviceId);
    return rec === undefined ? undefined : { publicKey: new Uint8Array(Buffer.from(rec.public_key, 'base64')), status: rec.status };
  }

  async #decide(deviceId: string, status: 'approved' | 'revoked', by: string): Promise<DeviceRecord> {
    const existing = await this.#o.store.getDevice(deviceId);
    if (existing === undefined) throw new IpqsecError('IPQ-E005', `no device ${JSON.stringify(deviceId)}`);
    if (existing.status === status) return existing;
    if (existing.status === 'revoked') throw new IpqsecError('IPQ-P009', `device ${deviceId} is revoked; it must enroll again with a new key`);
    const rec: DeviceRecord = { ...existing, status, updated_ms: this.#nowMs(), decided_by: by };
    await this.#o.store.putDevice(rec);
    await this.#log(rec, status === 'approved' ? 'approve' : 'revoke', by);
    return rec;
  }

  async #log(rec: DeviceRecord, op: 'enroll' | 'approve' | 'revoke', by: string): Promise<void> {
    await this.#o.audit?.append([{ v: 1, kind: 'enrollment', ts_ms: rec.updated_ms, subject: rec.device_id, data: { op, key_id: rec.key_id, public_key_sha256: Buffer.from(sha256(Buffer.from(rec.public_key, 'base64'))).toString('hex'), by } }]);
  }
}
