/**
 * One established secure-channel session: the key schedule after the handshake, AES-256-GCM sealing and opening
 * of DATA envelopes, nonces from counters, anti-replay and key update. `docs/envelope.md` is the specification.
 *
 * Key schedule (HKDF-SHA-256, RFC 5869; labels are ASCII):
 * - from the handshake (handshake.ts): `ss` = X-Wing shared secret, `th` = SHA-256 of the transcript;
 *   `session_id = HKDF(ss, th, "ipqsec v1 session id", 16)`, `secret[c2s][0] = HKDF(ss, th, "ipqsec v1 c2s", 32)`,
 *   `secret[s2c][0] = HKDF(ss, th, "ipqsec v1 s2c", 32)`;
 * - per epoch `e` and direction: `key = HKDF(secret[e], "", "ipqsec v1 key", 32)` and the key update
 *   `secret[e+1] = HKDF(secret[e], "", "ipqsec v1 traffic upd", 32)` (the one-way ratchet of TLS 1.3 KeyUpdate,
 *   RFC 8446 §7.2: a key of one epoch reveals nothing of earlier ones; superseded secrets are zero-filled).
 *
 * Nonce (96 bits) = epoch_dir (u32 = epoch · 2 + direction) ‖ counter (u64), big-endian, which are bytes 20–31 of
 * the DATA header; the AAD is the whole 36-byte header. Each direction has its own secrets and the direction bit is
 * in the nonce, and the sender's counter only grows inside an epoch and restarts at 0 only under a new key, so a
 * (key, nonce) pair is never used twice.
 *
 * Sender: rekeys (epoch + 1) before sealing when the epoch has sealed `rekeyAfterMessages` messages (default
 * 2^20) or {@link REKEY_AFTER_BYTES} plaintext bytes, or when it is `rekeyAfterMs` old (default 1 h) and has sealed
 * at least one message (so no epoch is skipped and the receiver, which accepts only the next epoch, keeps up).
 *
 * Receiver: accepts the current epoch and the next one (the sender rekeyed; the next epoch becomes current once
 * one of its messages authenticates) and keeps the previous epoch for `previousEpochGraceMs` (default 60 s) so
 * that messages reordered across a key update still open. Each epoch has its own {@link ReplayWindow}
 * (RFC 4303 §3.4.3): checked before decryption, updated only after the tag verified. Any rejection throws
 * `IpqsecError('IPQ-P005')` with `details.reason` and leaves the session state unchanged, so valid traffic keeps
 * flowing; no plaintext is released before the tag verified.
 *
 * Memory per session: three replay windows (about 130 bytes each at 1,024) and a few 32-byte keys.
 */
import { IpqsecError, type ErrorCode } from '../core/errors.js';
import { aes256GcmKey, aes256GcmOpen, aes256GcmSealInto, hkdfSha256, type Aes256GcmKey } from './classical.js';
import { C2S, DEFAULT_MAX_PLAINTEXT_BYTES, ENVELOPE_SIZES, MAX_EPOCH, S2C, encodeDataHeaderInto, type DataEnvelope, type Direction } from './envelope.js';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay-window.js';

/** Plaintext bytes after which a sender rekeys regardless of the message count (2^34 = 16 GiB; far below the AES-GCM data limits). */
export const REKEY_AFTER_BYTES = 2 ** 34;

/** Highest counter a receiver accepts in one epoch (2^32 − 1); a sender's `rekeyAfterMessages` is at most 2^32. */
export const MAX_COUNTER = 2 ** 32 - 1;

/** Options of a {@link ChannelSession}; both ends should use the same values. */
export interface SessionOptions {
  /** Messages sealed under one key before the sender moves to the next epoch, integer in [1, 2^32]. Default 2^20. */
  readonly rekeyAfterMessages: number;
  /** Age of an epoch after which the sender rekeys at its next message, ms (> 0). Default 3,600,000 (1 h). */
  readonly rekeyAfterMs: number;
  /** Replay window per epoch, counters (multiple of 32, ≥ 1,024 by default policy; see {@link ReplayWindow}). Default 1,024. */
  readonly replayWindow: number;
  /** How long the previous epoch still opens after the receiver moved on, ms (≥ 0). Default 60,000. */
  readonly previousEpochGraceMs: number;
  /** Largest plaintext sealed or opened, bytes. Default 16 MiB. */
  readonly maxPlaintextBytes: number;
}

/** Defaults of {@link SessionOptions}. */
export const SESSION_DEFAULTS: Readonly<SessionOptions> = Object.freeze({
  rekeyAfterMessages: 2 ** 20,
  rekeyAfterMs: 3_600_000,
  replayWindow: DEFAULT_REPLAY_WINDOW,
  previousEpochGraceMs: 60_000,
  maxPlaintextBytes: DEFAULT_MAX_PLAINTEXT_BYTES,
});

/**
 * Why an envelope or handshake was rejected (`details.reason` of IPQ-P005 / IPQ-P006 / IPQ-P007 errors of the
 * channel). docs/envelope.md, "Error reasons", describes each.
 */
export type ChannelRejectReason =
  // envelope decoding (envelope.ts)
  | 'malformed'
  | 'version'
  | 'type'
  // DATA (this file)
  | 'unknown_session'
  | 'direction'
  | 'epoch'
  | 'counter'
  | 'replay'
  | 'stale'
  | 'auth_failed'
  // HELLO / ACCEPT (handshake.ts, channel-server.ts)
  | 'timestamp'
  | 'kem_key'
  | 'hello_replay'
  | 'confirm_failed'
  | 'unknown_device'
  | 'pending_device'
  | 'revoked_device'
  | 'bad_signature';

/** Every {@link ChannelRejectReason}, in a stable order (for counters and metrics). */
export const CHANNEL_REJECT_REASONS: readonly ChannelRejectReason[] = Object.freeze([
  'malformed',
  'version',
  'type',
  'unknown_session',
  'direction',
  'epoch',
  'counter',
  'replay',
  'stale',
  'auth_failed',
  'timestamp',
  'kem_key',
  'hello_replay',
  'confirm_failed',
  'unknown_device',
  'pending_device',
  'revoked_device',
  'bad_signature',
] as const);

/**
 * A channel rejection: `IpqsecError(code)` whose message reads `<reason>: <detail>` and whose `details.reason`
 * is `reason`.
 */
export function channelRejection(reason: ChannelRejectReason, detail: string, code: ErrorCode = 'IPQ-P005', details: Record<string, unknown> = {}): IpqsecError {
  return new IpqsecError(code, `${reason}: ${detail}`, { details: { ...details, reason } });
}

/** The `details.reason` of a channel rejection, or undefined for any other value. */
export function rejectionReason(e: unknown): ChannelRejectReason | undefined {
  if (!(e instanceof Error) || e.name !== 'IpqsecError') return undefined;
  const r = (e as { details?: { reason?: unknown } }).details?.reason;
  return typeof r === 'string' && (CHANNEL_REJECT_REASONS as readonly string[]).includes(r) ? (r as ChannelRejectReason) : undefined;
}

/** The session id and the epoch-0 traffic secrets of both directions. */
export interface SessionSecrets {
  /** 16 bytes. */
  readonly sessionId: Uint8Array;
  /** Device → server traffic secret of epoch 0, 32 bytes. */
  readonly c2s: Uint8Array;
  /** Server → device traffic secret of epoch 0, 32 bytes. */
  readonly s2c: Uint8Array;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const LABEL_SESSION_ID = ascii('ipqsec v1 session id');
const LABEL_C2S = ascii('ipqsec v1 c2s');
const LABEL_S2C = ascii('ipqsec v1 s2c');
const LABEL_KEY = ascii('ipqsec v1 key');
const LABEL_UPDATE = ascii('ipqsec v1 traffic upd');
const EMPTY = new Uint8Array(0);

/**
 * The session id and epoch-0 secrets from the handshake (HKDF-SHA-256, RFC 5869; salt = transcript hash).
 *
 * @param sharedSecret 32-byte X-Wing shared secret
 * @param transcriptHash 32-byte SHA-256 of the transcript (handshake.ts)
 * @throws RangeError when either input is not 32 bytes
 */
export function deriveSessionSecrets(sharedSecret: Uint8Array, transcriptHash: Uint8Array): SessionSecrets {
  if (sharedSecret.length !== 32 || transcriptHash.length !== 32) throw new RangeError('shared secret and transcript hash must be 32 bytes');
  return {
    sessionId: hkdfSha256(sharedSecret, transcriptHash, LABEL_SESSION_ID, 16),
    c2s: hkdfSha256(sharedSecret, transcriptHash, LABEL_C2S, 32),
    s2c: hkdfSha256(sharedSecret, transcriptHash, LABEL_S2C, 32),
  };
}

/** The AES-256-GCM key of an epoch: `HKDF(secret, "", "ipqsec v1 key", 32)`. */
export function trafficKey(secret: Uint8Array): Uint8Array {
  return hkdfSha256(secret, EMPTY, LABEL_KEY, 32);
}

/** The next epoch's traffic secret: `HKDF(secret, "", "ipqsec v1 traffic upd", 32)` (RFC 8446 §7.2 style ratchet). */
export function nextTrafficSecret(secret: Uint8Array): Uint8Array {
  return hkdfSha256(secret, EMPTY, LABEL_UPDATE, 32);
}

/** Lower-case hex of bytes. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

interface SendState {
  epoch: number;
  secret: Uint8Array;
  key: Uint8Array;
  /** `key` imported once for AES-GCM (classical.ts `aes256GcmKey`: the measured reason is there). */
  aead: Aes256GcmKey;
  counter: number;
  bytes: number;
  startMs: number;
}

interface ReceiveEpoch {
  readonly epoch: number;
  /** Zero-filled once the next epoch's secret was derived from it and it is no longer current. */
  readonly secret: Uint8Array;
  readonly key: Uint8Array;
  readonly aead: Aes256GcmKey;
  readonly window: ReplayWindow;
}

function validated(options: Partial<SessionOptions>): SessionOptions {
  const o = { ...SESSION_DEFAULTS, ...options };
  if (!Number.isInteger(o.rekeyAfterMessages) || o.rekeyAfterMessages < 1 || o.rekeyAfterMessages > MAX_COUNTER + 1) throw new RangeError('rekeyAfterMessages must be an integer in [1, 2^32]');
  if (!(o.rekeyAfterMs > 0)) throw new RangeError('rekeyAfterMs must be > 0');
  if (!(o.previousEpochGraceMs >= 0)) throw new RangeError('previousEpochGraceMs must be >= 0');
  if (!Number.isInteger(o.maxPlaintextBytes) || o.maxPlaintextBytes < 0 || o.maxPlaintextBytes > 0xffff_ffff - 16) throw new RangeError('maxPlaintextBytes out of range');
  new ReplayWindow(o.replayWindow); // validates the size
  return o;
}

/**
 * One end of an established session (see the file comment for the rules). Time is passed in (`nowMs`, epoch
 * ms); the object does no I/O.
 */
export class ChannelSession {
  /** 16-byte session id. */
  readonly id: Uint8Array;
  /** Hex of {@link id}. */
  readonly idHex: string;
  /** `client` seals c2s and opens s2c; `server` the reverse. */
  readonly role: 'client' | 'server';
  private readonly opts: SessionOptions;
  private readonly sendDir: Direction;
  private readonly recvDir: Direction;
  private readonly send: SendState;
  private current: ReceiveEpoch;
  private next: ReceiveEpoch | undefined;
  private previous: ReceiveEpoch | undefined;
  private previousUntilMs = 0;

  /**
   * @param role which end this is
   * @param secrets from {@link deriveSessionSecrets}; the session keeps (and later zero-fills) the arrays
   * @param nowMs creation time, epoch ms (start of epoch 0 for the rekey timer)
   * @param options overrides of {@link SESSION_DEFAULTS}
   * @throws RangeError when an option is out of range
   */
  constructor(role: 'client' | 'server', secrets: SessionSecrets, nowMs: number, options: Partial<SessionOptions> = {}) {
    this.opts = validated(options);
    this.role = role;
    this.id = secrets.sessionId;
    this.idHex = toHex(secrets.sessionId);
    this.sendDir = role === 'client' ? C2S : S2C;
    this.recvDir = role === 'client' ? S2C : C2S;
    const sendSecret = role === 'client' ? secrets.c2s : secrets.s2c;
    const recvSecret = role === 'client' ? secrets.s2c : secrets.c2s;
    const sendKey = trafficKey(sendSecret);
    this.send = { epoch: 0, secret: sendSecret, key: sendKey, aead: aes256GcmKey(sendKey), counter: 0, bytes: 0, startMs: nowMs };
    this.current = this.receiveEpoch(0, recvSecret);
  }

  /** Current sending epoch and the counter of the next message sealed. */
  get sendPosition(): { readonly epoch: number; readonly counter: number } {
    return { epoch: this.send.epoch, counter: this.send.counter };
  }

  /** Current receiving epoch. */
  get receiveEpochNumber(): number {
    return this.current.epoch;
  }

  private receiveEpoch(epoch: number, secret: Uint8Array): ReceiveEpoch {
    const key = trafficKey(secret);
    return { epoch, secret, key, aead: aes256GcmKey(key), window: new ReplayWindow(this.opts.replayWindow) };
  }

  private rekeySend(nowMs: number): void {
    const s = this.send;
    if (s.epoch >= MAX_EPOCH) throw new RangeError('session exhausted its 2^31 epochs; open a new session');
    const next = nextTrafficSecret(s.secret);
    s.secret.fill(0);
    s.key.fill(0);
    s.secret = next;
    s.key = trafficKey(next);
    s.aead = aes256GcmKey(s.key);
    s.epoch += 1;
    s.counter = 0;
    s.bytes = 0;
    s.startMs = nowMs;
  }

  /**
   * Seals `plaintext` into a DATA envelope of the next counter (rekeying first when due).
   *
   * @param nowMs current time, epoch ms
   * @throws RangeError when the plaintext exceeds `maxPlaintextBytes` or the session ran out of epochs
   */
  seal(plaintext: Uint8Array, nowMs: number): Uint8Array {
    if (plaintext.length > this.opts.maxPlaintextBytes) throw new RangeError(`plaintext of ${plaintext.length} bytes exceeds ${this.opts.maxPlaintextBytes}`);
    const s = this.send;
    if (s.counter >= this.opts.rekeyAfterMessages || s.bytes >= REKEY_AFTER_BYTES || (s.counter > 0 && nowMs - s.startMs >= this.opts.rekeyAfterMs)) this.rekeySend(nowMs);
    // The envelope is header || ciphertext || tag, written in place (no second copy).
    const out = new Uint8Array(ENVELOPE_SIZES.dataHeader + plaintext.length + ENVELOPE_SIZES.tag);
    const header = encodeDataHeaderInto({ sessionId: this.id, epoch: s.epoch, direction: this.sendDir, counter: s.counter }, plaintext.length, out);
    s.counter += 1;
    s.bytes += plaintext.length;
    aes256GcmSealInto(s.aead, header.subarray(20, 32), plaintext, header, out, header.length);
    return out;
  }

  /**
   * Opens a decoded DATA envelope addressed to this end.
   *
   * @param nowMs current time, epoch ms (expiry of the previous epoch)
   * @returns the plaintext (a fresh array)
   * @throws IpqsecError IPQ-P005 with `details.reason` `unknown_session` (another session id), `direction` (an
   *   envelope this end sent), `epoch` (not the previous, current or next epoch), `counter` (above
   *   {@link MAX_COUNTER}), `malformed` (longer than `maxPlaintextBytes`), `replay`, `stale` (below the replay
   *   window) or `auth_failed` (the tag fails: tampered, wrong key); the state is unchanged then
   */
  open(env: DataEnvelope, nowMs: number): Uint8Array {
    if (env.sessionId.length !== this.id.length || !env.sessionId.every((b, i) => b === this.id[i])) throw channelRejection('unknown_session', `envelope for session ${toHex(env.sessionId)}, this is ${this.idHex}`);
    if (env.direction !== this.recvDir) throw channelRejection('direction', `envelope of direction ${env.direction === C2S ? 'c2s' : 's2c'} sent to the ${this.role}`);
    if (env.counter > MAX_COUNTER) throw channelRejection('counter', `counter ${env.counter} above ${MAX_COUNTER}`, 'IPQ-P005', { epoch: env.epoch });
    if (env.sealed.length - 16 > this.opts.maxPlaintextBytes) throw channelRejection('malformed', `ciphertext of ${env.sealed.length} bytes above the limit`);
    if (this.previous !== undefined && nowMs > this.previousUntilMs) this.dropPrevious();
    let ep: ReceiveEpoch;
    if (env.epoch === this.current.epoch) ep = this.current;
    else if (env.epoch === this.current.epoch + 1) ep = this.next ??= this.receiveEpoch(env.epoch, nextTrafficSecret(this.current.secret));
    else if (this.previous !== undefined && env.epoch === this.previous.epoch) ep = this.previous;
    else throw channelRejection('epoch', `epoch ${env.epoch} while the current epoch is ${this.current.epoch}`, 'IPQ-P005', { epoch: env.epoch });
    const verdict = ep.window.check(env.counter);
    if (verdict !== 'ok') throw channelRejection(verdict, `counter ${env.counter} of epoch ${env.epoch} ${verdict === 'replay' ? 'already received' : 'below the replay window'}`, 'IPQ-P005', { epoch: env.epoch, counter: env.counter });
    const plaintext = aes256GcmOpen(ep.aead, env.nonce, env.sealed, env.header);
    if (plaintext === undefined) throw channelRejection('auth_failed', `tag of epoch ${env.epoch} counter ${env.counter} does not verify`, 'IPQ-P005', { epoch: env.epoch, counter: env.counter });
    ep.window.accept(env.counter);
    if (ep === this.next) this.promoteNext(nowMs);
    return plaintext;
  }

  private dropPrevious(): void {
    this.previous?.key.fill(0);
    this.previous = undefined;
  }

  private promoteNext(nowMs: number): void {
    this.dropPrevious();
    this.previous = this.current;
    this.previousUntilMs = nowMs + this.opts.previousEpochGraceMs;
    this.previous.secret.fill(0);
    this.current = this.next!;
    this.next = undefined;
  }

  /** Zero-fills every key and secret held (best effort in JavaScript); the session is unusable afterwards. */
  destroy(): void {
    for (const a of [this.send.secret, this.send.key, this.current.secret, this.current.key, this.next?.secret, this.next?.key, this.previous?.key]) a?.fill(0);
    this.next = undefined;
    this.previous = undefined;
  }
}
