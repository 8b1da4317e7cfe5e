/**
 * The device end of the secure channel: a pure state machine (no I/O) that the edge agent drives
 * (`src/agent/secure-uplink.ts` over HTTP; an MQTT publisher can use it the same way). `docs/envelope.md` is the
 * specification.
 *
 * States: `idle` → {@link ChannelClient.hello} → `awaiting_accept` → {@link ChannelClient.accept} → `open`. In
 * `open`, {@link ChannelClient.seal} and {@link ChannelClient.open} carry DATA; keys update on their own (session.ts)
 * when the message count or the epoch age reaches its threshold. A new `hello()` (e.g. after the server answered
 * `unknown_session`) replaces the session; {@link ChannelClient.reset} forgets it.
 *
 * The client only accepts a server key statement returned by `verifyServerKeys` (server-keys.ts), i.e. checked
 * against the pinned server identity: it never encapsulates to an unauthenticated KEM key.
 */
import { isIpqsecError, IpqsecError } from '../core/errors.js';
import { DEFAULT_MAX_PLAINTEXT_BYTES, DEVICE_ID_PATTERN, decodeEnvelope } from './envelope.js';
import { checkAccept, createHello, type PendingHello } from './handshake.js';
import type { MlDsaKeyPair, PqcProvider } from './provider.js';
import { SERVER_KEYS_SKEW_MS, isVerifiedServerKeys, type ServerKeyStatement } from './server-keys.js';
import { CHANNEL_REJECT_REASONS, ChannelSession, channelRejection, rejectionReason, toHex, type ChannelRejectReason, type SessionOptions } from './session.js';

/** Options of {@link ChannelClient}. */
export interface ChannelClientOptions {
  readonly provider: PqcProvider;
  /** The device id enrolled with the server ({@link DEVICE_ID_PATTERN}). */
  readonly deviceId: string;
  /** The device's ML-DSA-65 key pair (the enrolled public key). */
  readonly identity: MlDsaKeyPair;
  /** The server KEM key statement, as returned by `verifyServerKeys`. */
  readonly serverKeys: ServerKeyStatement;
  /** Clock, epoch ms. Default `Date.now`. */
  readonly nowMs?: () => number;
  /** Session options; use the server's (defaults on both sides match). */
  readonly session?: Partial<SessionOptions>;
}

/** Where the client is in the handshake. */
export type ChannelClientState = 'idle' | 'awaiting_accept' | 'open';

/** The device end of the channel; see the file comment. */
export class ChannelClient {
  readonly deviceId: string;
  /** Rejected ACCEPT and DATA envelopes by reason (every reason present, starting at 0). */
  readonly rejections: Readonly<Record<ChannelRejectReason, number>>;
  private readonly counts: Record<ChannelRejectReason, number>;
  private readonly p: PqcProvider;
  private readonly identity: MlDsaKeyPair;
  private readonly serverKeys: ServerKeyStatement;
  private readonly now: () => number;
  private readonly sessionOptions: Partial<SessionOptions>;
  private pending: PendingHello | undefined;
  private session: ChannelSession | undefined;

  /**
   * @throws TypeError when `serverKeys` did not come from `verifyServerKeys`
   * @throws RangeError when the device id does not match {@link DEVICE_ID_PATTERN} or a session option is out of range
   */
  constructor(o: ChannelClientOptions) {
    if (!isVerifiedServerKeys(o.serverKeys)) throw new TypeError('serverKeys must be the result of verifyServerKeys (checked against the pinned server identity)');
    if (typeof o.deviceId !== 'string' || !DEVICE_ID_PATTERN.test(o.deviceId)) throw new RangeError(`device id ${JSON.stringify(o.deviceId)} does not match ${DEVICE_ID_PATTERN}`);
    this.deviceId = o.deviceId;
    this.p = o.provider;
    this.identity = o.identity;
    this.serverKeys = o.serverKeys;
    this.now = o.nowMs ?? Date.now;
    this.sessionOptions = { ...o.session };
    this.counts = Object.fromEntries(CHANNEL_REJECT_REASONS.map((r) => [r, 0])) as Record<ChannelRejectReason, number>;
    this.rejections = this.counts;
  }

  /** Current state. */
  get state(): ChannelClientState {
    return this.session !== undefined ? 'open' : this.pending !== undefined ? 'awaiting_accept' : 'idle';
  }

  /** Id of the open session (32 hex digits), or undefined. */
  get sessionId(): string | undefined {
    return this.session?.idHex;
  }

  /** The verified server key statement in use. */
  get keys(): ServerKeyStatement {
    return this.serverKeys;
  }

  private counted(e: unknown): unknown {
    const r = rejectionReason(e);
    if (r !== undefined && isIpqsecError(e)) this.counts[r] += 1;
    return e;
  }

  /**
   * Starts a new session: returns the HELLO to send (replacing any session or pending HELLO).
   *
   * Cost: one X-Wing encapsulation and one ML-DSA-65 signature.
   *
   * @param nowMs device clock, epoch ms (default the `nowMs` option)
   * @throws IpqsecError IPQ-P007 reason `expired` / `not_yet_valid` when the server key statement is outside its
   *   validity at `nowMs`
   */
  hello(nowMs: number = this.now()): Uint8Array {
    if (nowMs > this.serverKeys.notAfterMs) throw new IpqsecError('IPQ-P007', `expired: KEM key ${this.serverKeys.keyId} expired at ${new Date(this.serverKeys.notAfterMs).toISOString()}; fetch the server keys again`, { details: { reason: 'expired' } });
    if (nowMs < this.serverKeys.createdMs - SERVER_KEYS_SKEW_MS) throw new IpqsecError('IPQ-P007', `not_yet_valid: KEM key ${this.serverKeys.keyId} is not valid yet`, { details: { reason: 'not_yet_valid' } });
    this.reset();
    this.pending = createHello(this.p, { deviceId: this.deviceId, identity: this.identity, serverKeys: this.serverKeys, nowMs });
    return this.pending.hello;
  }

  /**
   * Completes the handshake with the server's ACCEPT. A rejected ACCEPT leaves the HELLO pending (a forged
   * ACCEPT cannot stop the genuine one from completing).
   *
   * @throws IpqsecError IPQ-P005 reason `malformed` / `version` / `type` / `unknown_session` / `confirm_failed`;
   *   reason `unknown_session` also when no HELLO is pending
   */
  accept(reply: Uint8Array): void {
    try {
      if (this.pending === undefined) throw channelRejection('unknown_session', 'no HELLO pending; call hello() first');
      checkAccept(this.pending, reply);
      this.session = new ChannelSession('client', this.pending.secrets, this.now(), this.sessionOptions);
      this.pending = undefined;
    } catch (e) {
      throw this.counted(e);
    }
  }

  /**
   * Seals `plaintext` into a DATA envelope for the server (rekeying when due).
   *
   * @throws IpqsecError IPQ-P005 reason `unknown_session` when no session is open
   * @throws RangeError when the plaintext exceeds the session's limit (16 MiB by default)
   */
  seal(plaintext: Uint8Array): Uint8Array {
    if (this.session === undefined) throw channelRejection('unknown_session', 'no open session; call hello() and accept() first');
    return this.session.seal(plaintext, this.now());
  }

  /**
   * Opens a DATA envelope from the server.
   *
   * @throws IpqsecError IPQ-P005 with the reasons of `ChannelSession.open` (and `malformed` / `version` / `type`
   *   from decoding; `unknown_session` when no session is open); no plaintext is released then
   */
  open(envelope: Uint8Array): Uint8Array {
    try {
      if (this.session === undefined) throw channelRejection('unknown_session', 'no open session');
      const env = decodeEnvelope(envelope, 'data', { maxPlaintextBytes: this.sessionOptions.maxPlaintextBytes ?? DEFAULT_MAX_PLAINTEXT_BYTES });
      if (toHex(env.sessionId) !== this.session.idHex) throw channelRejection('unknown_session', `envelope for session ${toHex(env.sessionId)}, the open one is ${this.session.idHex}`);
      return this.session.open(env, this.now());
    } catch (e) {
      throw this.counted(e);
    }
  }

  /** Forgets the session and any pending HELLO (keys zero-filled). */
  reset(): void {
    this.session?.destroy();
    this.session = undefined;
    this.pending = undefined;
  }
}
