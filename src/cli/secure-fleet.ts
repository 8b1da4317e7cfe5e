/**
 * The simulator's devices as enrolled identities on the secure channel (`ipqsec simulate --secure`): every robot
 * and temperature sensor gets its own ML-DSA-65 identity and session, and the plant's network gateway
 * (`sim-gateway`) carries the flow events, so the whole path (enrollment, approval, X-Wing handshake, sealed
 * events, sealed answers) runs in the demo.
 *
 * Identities are derived from the device id alone (SHA-256 of `ipqsec-sim-device|<id>` as the ML-DSA-65 seed): every
 * run, whatever its seed, presents the same key for the same device, so enrollment is idempotent. They are
 * simulation keys, not secrets; real devices generate theirs with `ipqsec keys gen`.
 *
 * Approval: enrollment needs an `ingest` token; pending devices are then approved by the `approve` hook when given
 * (the demo approves in process, as its operator), else with the same token, which works when it is an admin
 * token. Otherwise the run stops naming the pending devices, for an operator to approve
 * (`POST /api/v1/devices/:id/approve`).
 */
import { IpqsecError } from '../core/errors.js';
import type { EventInput } from '../core/events.js';
import { SecureUplink } from '../agent/secure-uplink.js';
import { sha256 } from '../pqc/classical.js';
import type { PqcProvider } from '../pqc/provider.js';

/** Device id that sends the simulated network flows. */
export const GATEWAY_DEVICE = 'sim-gateway';

/** One event's answer as `POST /events` gives it. */
export interface FleetResult {
  readonly id: string;
  readonly alerts?: readonly { readonly reasons: readonly string[] }[];
}

/** The device an event is sent by. */
export function deviceOf(e: EventInput): string {
  return e.type === 'robot' ? e.robot_id : e.type === 'sensor' ? e.sensor_id : GATEWAY_DEVICE;
}

/** Options of {@link SecureFleet.open}. */
export interface SecureFleetOptions {
  readonly server: string;
  /** Token with the ingest scope (enrollment); an admin token also approves. */
  readonly token: string | undefined;
  readonly deviceIds: readonly string[];
  /** Approves pending devices (instead of `POST /devices/:id/approve` with the token). */
  readonly approve?: (deviceIds: readonly string[]) => Promise<void>;
  readonly provider: PqcProvider;
  readonly fetch?: typeof fetch;
  /** Pinned server identity; undefined = trust on first use (reported through `warn`). */
  readonly serverIdentityPublicKey?: Uint8Array;
  readonly warn: (line: string) => void;
}

/** The fleet's uplinks, one per device, created when a device is first seen. */
export class SecureFleet {
  readonly #o: SecureFleetOptions;
  readonly #uplinks = new Map<string, SecureUplink>();
  #pin: Uint8Array | undefined;

  private constructor(o: SecureFleetOptions) {
    this.#o = o;
    this.#pin = o.serverIdentityPublicKey;
  }

  /**
   * Fetches and pins the server keys, then enrolls, approves and connects `o.deviceIds` (more devices join when
   * first seen by {@link SecureFleet.send}).
   * @throws IpqsecError as {@link SecureFleet.add}; IPQ-P007 when the server keys do not verify against the pin
   */
  static async open(o: SecureFleetOptions): Promise<SecureFleet> {
    const fleet = new SecureFleet(o);
    await fleet.add(o.deviceIds);
    return fleet;
  }

  /** Number of devices (sessions). */
  get size(): number {
    return this.#uplinks.size;
  }

  /**
   * Enrolls the devices not yet in the fleet (idempotent on the server), approves the pending ones when the token
   * allows, and opens their sessions.
   * @throws IpqsecError IPQ-P006 naming pending devices when they cannot be approved, or a revoked device;
   *   IPQ-S003 and the server's codes otherwise
   */
  async add(deviceIds: readonly string[]): Promise<void> {
    const o = this.#o;
    const fresh = [...new Set(deviceIds)].filter((id) => !this.#uplinks.has(id));
    if (fresh.length === 0) return;
    const created: SecureUplink[] = [];
    for (const id of fresh) {
      const identity = o.provider.mlDsaKeygen(sha256(new TextEncoder().encode(`ipqsec-sim-device|${id}`)));
      const pin = this.#pin;
      const uplink: SecureUplink = new SecureUplink({
        server: o.server,
        deviceId: id,
        identity,
        provider: o.provider,
        ...(o.token === undefined ? {} : { token: o.token }),
        ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
        ...(pin === undefined
          ? { onTrustOnFirstUse: (t) => o.warn(`secure channel: trusting server identity ${t.name} on first use (SHA-256 ${t.fingerprint})`) }
          : { serverIdentityPublicKey: pin }),
      });
      if (this.#pin === undefined) {
        await uplink.fetchServerKeys();
        this.#pin = uplink.pinnedIdentity;
      }
      created.push(uplink);
    }
    const pending: string[] = [];
    await mapLimit(created, 8, async (u) => {
      const a = await u.enroll();
      if (a.status === 'pending') pending.push(a.device_id);
      else if (a.status === 'revoked') throw new IpqsecError('IPQ-P006', `simulated device ${a.device_id} is revoked on the server`, { details: { reason: 'revoked' } });
    });
    if (pending.length > 0 && o.approve !== undefined) await o.approve(pending);
    else for (const id of pending) {
      const r = await (o.fetch ?? fetch)(`${o.server}/api/v1/devices/${encodeURIComponent(id)}/approve`, { method: 'POST', headers: o.token === undefined ? {} : { authorization: `Bearer ${o.token}` } });
      if (!r.ok) {
        throw new IpqsecError('IPQ-P006', `${pending.length} simulated devices are pending approval (e.g. ${pending.slice(0, 3).join(', ')}) and the token cannot approve them (HTTP ${r.status}); approve them as an operator or use an admin token`, {
          details: { reason: 'pending', pending: pending.length },
        });
      }
    }
    if (pending.length > 0) o.warn(`secure channel: enrolled and approved ${pending.length} simulated devices`);
    await mapLimit(created, 8, (u) => u.connect());
    fresh.forEach((id, i) => this.#uplinks.set(id, created[i]!));
  }

  /**
   * Sends a batch: each device's events through its own session (devices in parallel, each device's events in
   * order) and returns the results in the batch's order. Devices seen for the first time join first.
   */
  async send(batch: readonly EventInput[]): Promise<FleetResult[]> {
    const byDevice = new Map<string, number[]>();
    batch.forEach((e, i) => {
      const d = deviceOf(e);
      let list = byDevice.get(d);
      if (list === undefined) byDevice.set(d, (list = []));
      list.push(i);
    });
    await this.add([...byDevice.keys()]);
    const out: FleetResult[] = new Array<FleetResult>(batch.length);
    await mapLimit([...byDevice], 16, async ([device, indexes]) => {
      const answer = (await this.#uplinks.get(device)!.sendEvents(indexes.map((i) => batch[i]!))) as { results?: FleetResult[] };
      const results = answer.results;
      if (!Array.isArray(results) || results.length !== indexes.length) throw new IpqsecError('IPQ-S003', `device ${device}: expected ${indexes.length} results in the sealed answer`);
      indexes.forEach((i, k) => (out[i] = results[k]!));
    });
    return out;
  }

  /** Forgets every session. */
  close(): void {
    for (const u of this.#uplinks.values()) u.close();
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; rejects with the first failure. */
async function mapLimit<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
