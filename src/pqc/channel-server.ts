/**
 * The server end of the secure channel: accepts HELLOs from enrolled, approved devices, holds their sessions, and
 * opens and seals DATA envelopes (`docs/envelope.md`). Pure: the device registry is reached through the injected
 * `lookupDevice`, the clock through `nowMs`; no I/O of its own.
 *
 * HELLO checks, in order (the reasoning is in handshake.ts): layout → timestamp within ±5 min → KEM key id is this
 * server's → not in the HELLO replay cache → device known and `approved` (`lookupDevice`) → ML-DSA-65 signature
 * under the enrolled key → (replay cache checked again and updated) → X-Wing decapsulation, key schedule, ACCEPT.
 * A HELLO signed by device A but naming device B fails the signature check against B's key. A device revoked
 * while its HELLO awaits `lookupDevice` is refused too.
 *
 * Every rejection throws an `IpqsecError` whose `details.reason` is counted in {@link ChannelServer.rejections}:
 * `IPQ-P006` for `unknown_device`, `pending_device`, `revoked_device`, `bad_signature`; `IPQ-P005` for all other
 * reasons. A rejected envelope changes no session state, so valid traffic of the same session keeps flowing.
 * The device id of an opened envelope is the one authenticated at the HELLO of its session: a device cannot send
 * as another device.
 *
 * Bounds and eviction: at most `maxSessions` sessions (LRU by last successful use: the least recently used is
 * dropped when a new one is added), at most `maxSessionsPerDevice` per device (its oldest is dropped), a session
 * expires `sessionTtlMs` after its last use or `maxSessionAgeMs` after its HELLO (then its envelopes are rejected
 * as `unknown_session` and the device sends a new HELLO, which also re-checks its enrollment status); the HELLO
 * replay cache is bounded by `maxHelloCache` (handshake.ts).
 */
import { isIpqsecError } from '../core/errors.js';
import { sha256 } from './classical.js';
import { DEFAULT_MAX_PLAINTEXT_BYTES, decodeEnvelope } from './envelope.js';
import { HELLO_MAX_SKEW_MS, HelloReplayCache, answerHello, helloReplayKey, verifyHelloSignature } from './handshake.js';
import type { PqcProvider } from './provider.js';
import { kemKeyId } from './server-keys.js';
import { CHANNEL_REJECT_REASONS, ChannelSession, channelRejection, rejectionReason, toHex, type ChannelRejectReason, type SessionOptions } from './session.js';
import type { XWingKeyPair } from './xwing.js';

/** What the device registry says about a device. */
export interface ChannelDeviceRecord {
  /** Enrolled ML-DSA-65 public key, 1,952 bytes. */
  readonly publicKey: Uint8Array;
  readonly status: 'pending' | 'approved' | 'revoked';
}

/** Options of {@link ChannelServer}. */
export interface ChannelServerOptions {
  readonly provider: PqcProvider;
  /** The server's X-Wing KEM key pair (its public key is the one in the signed statement). */
  readonly kemKeyPair: XWingKeyPair;
  /** The enrolled key and status of a device, undefined when unknown. Its errors propagate from `acceptHello`. */
  readonly lookupDevice: (deviceId: string) => Promise<ChannelDeviceRecord | undefined>;
  /** Clock, epoch ms. Default `Date.now`. */
  readonly nowMs?: () => number;
  /** Most sessions held (integer ≥ 1). Default 10,000. */
  readonly maxSessions?: number;
  /** Most sessions of one device (integer ≥ 1). Default 4. */
  readonly maxSessionsPerDevice?: number;
  /** Idle time after which a session expires, ms. Default 3,600,000 (1 h). */
  readonly sessionTtlMs?: number;
  /** Age after which a session expires however busy, ms. Default 86,400,000 (24 h). */
  readonly maxSessionAgeMs?: number;
  /** Bound of the HELLO replay cache. Default 100,000. */
  readonly maxHelloCache?: number;
  /** Session options (rekey thresholds, replay window); the devices should use the same. */
  readonly session?: Partial<SessionOptions>;
}

/** An opened DATA envelope. */
export interface OpenedEnvelope {
  /** The device authenticated when the session was opened. */
  readonly deviceId: string;
  /** Session id, 32 hex digits. */
  readonly sessionId: string;
  readonly plaintext: Uint8Array;
}

/** The result of an accepted HELLO. */
export interface AcceptedHello {
  /** Session id, 32 hex digits. */
  readonly sessionId: string;
  readonly deviceId: string;
  /** The ACCEPT envelope to return to the device. */
  readonly reply: Uint8Array;
}

interface Entry {
  readonly session: ChannelSession;
  readonly deviceId: string;
  readonly createdMs: number;
  lastUsedMs: number;
}

interface InflightHello {
  cancelled: boolean;
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
  return v;
}

function positive(v: number, name: string): number {
  if (!(v > 0)) throw new RangeError(`${name} must be > 0, got ${v}`);
  return v;
}

/** The server end of the channel; see the file comment. */
export class ChannelServer {
  /** Rejections by reason since construction (every reason present, starting at 0). */
  readonly rejections: Readonly<Record<ChannelRejectReason, number>>;
  /** KEM key id of `kemKeyPair`, 16 hex digits. */
  readonly kemKeyId: string;
  private readonly counts: Record<ChannelRejectReason, number>;
  private readonly p: PqcProvider;
  private readonly kemKeyPair: XWingKeyPair;
  private readonly kemKeyIdBytes: Uint8Array;
  private readonly kemKeyHash: Uint8Array;
  private readonly lookupDevice: ChannelServerOptions['lookupDevice'];
  private readonly now: () => number;
  private readonly maxSessions: number;
  private readonly maxPerDevice: number;
  private readonly ttlMs: number;
  private readonly maxAgeMs: number;
  private readonly sessionOptions: Partial<SessionOptions>;
  private readonly maxPlaintextBytes: number;
  private readonly helloCache: HelloReplayCache;
  /** Insertion order = least recently used first. */
  private readonly sessions = new Map<string, Entry>();
  private readonly byDevice = new Map<string, Set<string>>();
  private readonly inflight = new Map<string, Set<InflightHello>>();

  /** @throws RangeError when an option is out of range */
  constructor(o: ChannelServerOptions) {
    this.p = o.provider;
    this.kemKeyPair = o.kemKeyPair;
    this.kemKeyIdBytes = kemKeyId(o.kemKeyPair.publicKey);
    this.kemKeyId = toHex(this.kemKeyIdBytes);
    this.kemKeyHash = sha256(o.kemKeyPair.publicKey);
    this.lookupDevice = o.lookupDevice;
    this.now = o.nowMs ?? Date.now;
    this.maxSessions = positiveInt(o.maxSessions ?? 10_000, 'maxSessions');
    this.maxPerDevice = positiveInt(o.maxSessionsPerDevice ?? 4, 'maxSessionsPerDevice');
    this.ttlMs = positive(o.sessionTtlMs ?? 3_600_000, 'sessionTtlMs');
    this.maxAgeMs = positive(o.maxSessionAgeMs ?? 86_400_000, 'maxSessionAgeMs');
    this.helloCache = new HelloReplayCache(o.maxHelloCache ?? 100_000, HELLO_MAX_SKEW_MS);
    this.sessionOptions = { ...o.session };
    this.maxPlaintextBytes = o.session?.maxPlaintextBytes ?? DEFAULT_MAX_PLAINTEXT_BYTES;
    this.counts = Object.fromEntries(CHANNEL_REJECT_REASONS.map((r) => [r, 0])) as Record<ChannelRejectReason, number>;
    this.rejections = this.counts;
  }

  /** Sessions held. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  private counted(e: unknown): unknown {
    const r = rejectionReason(e);
    if (r !== undefined && isIpqsecError(e)) this.counts[r] += 1;
    return e;
  }

  /**
   * Checks a HELLO and opens a session (see the file comment for the order of checks).
   *
   * @returns the session id, the authenticated device id and the ACCEPT envelope to send back
   * @throws IpqsecError IPQ-P005 (`malformed`, `version`, `type`, `timestamp`, `kem_key`, `hello_replay`) or
   *   IPQ-P006 (`unknown_device`, `pending_device`, `revoked_device`, `bad_signature`); errors of `lookupDevice`
   *   propagate unchanged
   */
  async acceptHello(bytes: Uint8Array): Promise<AcceptedHello> {
    try {
      const hello = decodeEnvelope(bytes, 'hello');
      const nowMs = this.now();
      if (Math.abs(hello.timestampMs - nowMs) > HELLO_MAX_SKEW_MS) {
        throw channelRejection('timestamp', `HELLO time ${hello.timestampMs} is ${Math.round((hello.timestampMs - nowMs) / 1000)} s from the server clock (limit ±${HELLO_MAX_SKEW_MS / 1000} s)`, 'IPQ-P005', { deviceId: hello.deviceId });
      }
      if (!hello.kemKeyId.every((b, i) => b === this.kemKeyIdBytes[i])) throw channelRejection('kem_key', `HELLO for KEM key ${toHex(hello.kemKeyId)}, this server's is ${this.kemKeyId}; fetch the server keys again`, 'IPQ-P005', { deviceId: hello.deviceId });
      const replayKey = helloReplayKey(hello);
      if (this.helloCache.seen(replayKey, hello.timestampMs)) throw channelRejection('hello_replay', 'HELLO already used (or older than the replay cache remembers)', 'IPQ-P005', { deviceId: hello.deviceId });
      const token: InflightHello = { cancelled: false };
      let tokens = this.inflight.get(hello.deviceId);
      if (tokens === undefined) this.inflight.set(hello.deviceId, (tokens = new Set()));
      tokens.add(token);
      let device: ChannelDeviceRecord | undefined;
      try {
        device = await this.lookupDevice(hello.deviceId);
      } finally {
        tokens.delete(token);
        if (tokens.size === 0 && this.inflight.get(hello.deviceId) === tokens) this.inflight.delete(hello.deviceId);
      }
      const id = hello.deviceId;
      if (device === undefined) throw channelRejection('unknown_device', `device ${id} is not enrolled`, 'IPQ-P006', { deviceId: id });
      if (device.status === 'revoked' || token.cancelled) throw channelRejection('revoked_device', `device ${id} is revoked`, 'IPQ-P006', { deviceId: id });
      if (device.status !== 'approved') throw channelRejection('pending_device', `device ${id} awaits approval`, 'IPQ-P006', { deviceId: id });
      if (!verifyHelloSignature(this.p, device.publicKey, this.kemKeyHash, hello)) throw channelRejection('bad_signature', `HELLO signature does not verify under the enrolled key of ${id}`, 'IPQ-P006', { deviceId: id });
      const now2 = this.now();
      if (this.helloCache.seen(replayKey, hello.timestampMs)) throw channelRejection('hello_replay', 'HELLO already used', 'IPQ-P005', { deviceId: id });
      this.helloCache.add(replayKey, hello.timestampMs, now2);
      const { secrets, reply } = answerHello(this.p, this.kemKeyPair, this.kemKeyHash, hello);
      const session = new ChannelSession('server', secrets, now2, this.sessionOptions);
      this.insert(session, id, now2);
      return { sessionId: session.idHex, deviceId: id, reply };
    } catch (e) {
      throw this.counted(e);
    }
  }

  private insert(session: ChannelSession, deviceId: string, nowMs: number): void {
    this.sweep(nowMs);
    const own = this.byDevice.get(deviceId);
    while (own !== undefined && own.size >= this.maxPerDevice) this.drop(own.values().next().value!);
    while (this.sessions.size >= this.maxSessions) this.drop(this.sessions.keys().next().value!);
    this.sessions.set(session.idHex, { session, deviceId, createdMs: nowMs, lastUsedMs: nowMs });
    let mine = this.byDevice.get(deviceId);
    if (mine === undefined) this.byDevice.set(deviceId, (mine = new Set()));
    mine.add(session.idHex);
  }

  /** Drops idle-expired sessions from the LRU front. */
  private sweep(nowMs: number): void {
    for (const [id, e] of this.sessions) {
      if (nowMs - e.lastUsedMs <= this.ttlMs) break;
      this.drop(id);
    }
  }

  private drop(sessionId: string): boolean {
    const e = this.sessions.get(sessionId);
    if (e === undefined) return false;
    this.sessions.delete(sessionId);
    const mine = this.byDevice.get(e.deviceId);
    mine?.delete(sessionId);
    if (mine?.size === 0) this.byDevice.delete(e.deviceId);
    e.session.destroy();
    return true;
  }

  private live(sessionIdHex: string, nowMs: number): Entry {
    const e = this.sessions.get(sessionIdHex);
    if (e === undefined) throw channelRejection('unknown_session', `no session ${sessionIdHex} (expired, evicted or never opened); send a new HELLO`);
    if (nowMs - e.lastUsedMs > this.ttlMs || nowMs - e.createdMs > this.maxAgeMs) {
      this.drop(sessionIdHex);
      throw channelRejection('unknown_session', `session ${sessionIdHex} expired; send a new HELLO`);
    }
    return e;
  }

  private touch(id: string, e: Entry, nowMs: number): void {
    e.lastUsedMs = nowMs;
    this.sessions.delete(id);
    this.sessions.set(id, e);
  }

  /**
   * Opens a DATA envelope from a device.
   *
   * Cost: one AES-256-GCM decryption (plus one HKDF at a key update); no allocation beyond the plaintext.
   *
   * @throws IpqsecError IPQ-P005 with `details.reason` `malformed`, `version`, `type`, `unknown_session`,
   *   `direction`, `epoch`, `counter`, `replay`, `stale` or `auth_failed`; no plaintext is released then
   */
  open(bytes: Uint8Array): OpenedEnvelope {
    try {
      const env = decodeEnvelope(bytes, 'data', { maxPlaintextBytes: this.maxPlaintextBytes });
      const nowMs = this.now();
      const id = toHex(env.sessionId);
      const e = this.live(id, nowMs);
      const plaintext = e.session.open(env, nowMs);
      this.touch(id, e, nowMs);
      return { deviceId: e.deviceId, sessionId: id, plaintext };
    } catch (err) {
      throw this.counted(err);
    }
  }

  /**
   * Seals a reply to the device of a session (rekeying when due).
   *
   * @param sessionId 32 hex digits, as returned by {@link acceptHello} or {@link open}
   * @throws IpqsecError IPQ-P005 reason `unknown_session` when the session is gone (not counted as a rejection)
   * @throws RangeError when the plaintext exceeds the session's limit
   */
  seal(sessionId: string, plaintext: Uint8Array): Uint8Array {
    const nowMs = this.now();
    const e = this.live(sessionId, nowMs);
    const out = e.session.seal(plaintext, nowMs);
    this.touch(sessionId, e, nowMs);
    return out;
  }

  /** The device of a live session, or undefined. */
  deviceOf(sessionId: string): string | undefined {
    return this.sessions.get(sessionId)?.deviceId;
  }

  /** Ends one session. @returns whether it existed */
  closeSession(sessionId: string): boolean {
    return this.drop(sessionId);
  }

  /**
   * Drops every session of a device, and refuses its HELLOs that are waiting for `lookupDevice` right now. Call
   * it after marking the device revoked in the registry (later HELLOs are refused by `lookupDevice`'s status).
   *
   * @returns the number of sessions dropped
   */
  revokeDevice(deviceId: string): number {
    for (const t of this.inflight.get(deviceId) ?? []) t.cancelled = true;
    const mine = [...(this.byDevice.get(deviceId) ?? [])];
    for (const id of mine) this.drop(id);
    return mine.length;
  }
}
