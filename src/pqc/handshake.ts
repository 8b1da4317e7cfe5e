/**
 * The session handshake: one HELLO from the device, one ACCEPT from the server (`docs/envelope.md`, "Handshake").
 *
 * Device (holds its ML-DSA-65 identity and a server key statement verified against the pinned server identity,
 * server-keys.ts):
 * 1. `(ct, ss) = X-Wing.Encapsulate(server KEM public key)` (draft-connolly-cfrg-xwing-kem §5.4);
 * 2. HELLO body = prefix ‖ device id ‖ timestamp ms ‖ KEM key id ‖ 32-byte client random ‖ ct (envelope.ts);
 * 3. signature = ML-DSA-65.Sign(device key, `SHA-256(server KEM pk) ‖ body`, context `ipqsec-hello-v1`)
 *    (FIPS 204 Algorithm 2): the device authenticates, and the signature binds the device id, the time, the exact
 *    server key and the ciphertext (transcript binding);
 * 4. `th = SHA-256("ipqsec v1 transcript" ‖ SHA-256(server KEM pk) ‖ HELLO)` (the whole HELLO, signature
 *    included), then the session id and traffic secrets by HKDF-SHA-256 with salt `th` (session.ts).
 *
 * Server: decapsulates to the same `ss`, derives the same secrets, and answers ACCEPT = prefix ‖ session id ‖
 * tag, where tag = AES-256-GCM(key of epoch 0 s→c, nonce `00000001 ‖ FF×8` (epoch 0, direction s2c, counter
 * 2^64 − 1: a counter no DATA envelope uses), empty plaintext, AAD = ACCEPT bytes 0–19 ‖ th). The device checks
 * the session id and the tag: the server proved that it holds the KEM secret key the pinned identity signed
 * (implicit server authentication plus key confirmation).
 *
 * Order of the server's checks (channel-server.ts) and why: cheap checks first (layout, timestamp within ±5 min,
 * KEM key id, replay cache, device status), then the device's signature, and decapsulation last. ML-DSA-65
 * verification and X-Wing decapsulation cost the same order of magnitude (both well under a millisecond to a
 * couple of ms), so neither order amplifies a flood; verifying first means that (a) nobody without an enrolled
 * device key gets any decapsulation work or session state out of the server, and (b) only authenticated HELLOs
 * enter the bounded replay cache, so a flood of forged HELLOs cannot evict genuine entries and re-open a replay.
 *
 * HELLO replay: {@link HelloReplayCache} remembers the SHA-256 of every accepted HELLO body for the ±5 min
 * timestamp window (bounded; see there).
 */
import { sha256, aes256GcmOpen, aes256GcmSeal, randomBytes, constantTimeEqual } from './classical.js';
import { ENVELOPE_SIZES, S2C, dataNonce, decodeEnvelope, encodeAccept, encodeAcceptHeader, encodeHello, encodeHelloBody, type HelloEnvelope } from './envelope.js';
import type { MlDsaKeyPair, PqcProvider } from './provider.js';
import { kemKeyId, type ServerKeyStatement } from './server-keys.js';
import { channelRejection, deriveSessionSecrets, toHex, trafficKey, type SessionSecrets } from './session.js';
import { xwingDecapsulate, xwingEncapsulate, type XWingKeyPair } from './xwing.js';

/** ML-DSA context string of the HELLO signature. */
export const HELLO_CONTEXT = 'ipqsec-hello-v1';

/** Largest difference between a HELLO's timestamp and the server clock, ms (±5 minutes). */
export const HELLO_MAX_SKEW_MS = 300_000;

const HELLO_CONTEXT_BYTES = new TextEncoder().encode(HELLO_CONTEXT);
const TRANSCRIPT_LABEL = new TextEncoder().encode('ipqsec v1 transcript');
/** Nonce of the ACCEPT confirmation: epoch 0, s2c, counter 2^64 − 1. */
const CONFIRM_NONCE = dataNonce(0, S2C, 0xffff_ffff_ffff_ffffn);
const EMPTY = new Uint8Array(0);

/** The message the device signs: `SHA-256(server KEM public key) ‖ HELLO body`. */
export function helloSignedMessage(serverKemKeyHash: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(32 + body.length);
  out.set(serverKemKeyHash, 0);
  out.set(body, 32);
  return out;
}

/** `th = SHA-256("ipqsec v1 transcript" ‖ SHA-256(server KEM public key) ‖ HELLO)` (32 bytes). */
export function transcriptHash(serverKemKeyHash: Uint8Array, hello: Uint8Array): Uint8Array {
  return sha256(TRANSCRIPT_LABEL, serverKemKeyHash, hello);
}

/** The 16-byte ACCEPT key-confirmation tag (see the file comment). */
export function confirmationTag(s2cSecret: Uint8Array, sessionId: Uint8Array, th: Uint8Array): Uint8Array {
  const header = encodeAcceptHeader(sessionId);
  const aad = new Uint8Array(header.length + th.length);
  aad.set(header, 0);
  aad.set(th, header.length);
  return aes256GcmSeal(trafficKey(s2cSecret), CONFIRM_NONCE, EMPTY, aad);
}

/** A HELLO sent and the secrets the device keeps until the ACCEPT arrives. */
export interface PendingHello {
  /** The HELLO envelope to send. */
  readonly hello: Uint8Array;
  readonly transcriptHash: Uint8Array;
  readonly secrets: SessionSecrets;
}

/** Inputs of {@link createHello}. */
export interface CreateHelloInput {
  readonly deviceId: string;
  /** The device's ML-DSA-65 key pair (the public key the server has enrolled). */
  readonly identity: MlDsaKeyPair;
  /** Verified statement of the server's KEM key. */
  readonly serverKeys: ServerKeyStatement;
  /** Device clock, epoch ms. */
  readonly nowMs: number;
  /** 32 bytes (tests); random by default. */
  readonly clientRandom?: Uint8Array;
}

/**
 * Builds a signed HELLO to the server's KEM key and the secrets of the session it opens.
 *
 * Cost: one X-Wing encapsulation, one ML-DSA-65 signature, three HKDF calls.
 *
 * @throws RangeError when the device id does not match `DEVICE_ID_PATTERN` or a key has the wrong size
 */
export function createHello(p: PqcProvider, input: CreateHelloInput): PendingHello {
  const pkHash = sha256(input.serverKeys.kemPublicKey);
  const { ciphertext, sharedSecret } = xwingEncapsulate(p, input.serverKeys.kemPublicKey);
  const body = encodeHelloBody({
    deviceId: input.deviceId,
    timestampMs: Math.floor(input.nowMs),
    kemKeyId: kemKeyId(input.serverKeys.kemPublicKey),
    clientRandom: input.clientRandom ?? randomBytes(ENVELOPE_SIZES.clientRandom),
    ciphertext,
  });
  const signature = p.mlDsaSign(input.identity, helloSignedMessage(pkHash, body), HELLO_CONTEXT_BYTES);
  const hello = encodeHello(body, signature);
  const th = transcriptHash(pkHash, hello);
  const secrets = deriveSessionSecrets(sharedSecret, th);
  sharedSecret.fill(0);
  return { hello, transcriptHash: th, secrets };
}

/**
 * The device's check of the server's ACCEPT: the session id and the key-confirmation tag must match the HELLO.
 *
 * @throws IpqsecError IPQ-P005 reason `malformed` / `version` / `type` (envelope), `unknown_session` (another
 *   session id) or `confirm_failed` (the tag does not verify: the server does not hold the KEM secret key, or the
 *   transcript differs)
 */
export function checkAccept(pending: PendingHello, reply: Uint8Array): void {
  const acc = decodeEnvelope(reply, 'accept');
  if (!constantTimeEqual(acc.sessionId, pending.secrets.sessionId)) throw channelRejection('unknown_session', `ACCEPT for session ${toHex(acc.sessionId)}, the HELLO opened ${toHex(pending.secrets.sessionId)}`);
  const aad = new Uint8Array(20 + 32);
  aad.set(acc.header, 0);
  aad.set(pending.transcriptHash, 20);
  if (aes256GcmOpen(trafficKey(pending.secrets.s2c), CONFIRM_NONCE, acc.confirmTag, aad) === undefined) throw channelRejection('confirm_failed', 'ACCEPT key confirmation does not verify');
}

/**
 * Whether the HELLO's ML-DSA-65 signature verifies under the enrolled device public key (context
 * `ipqsec-hello-v1`, message `SHA-256(server KEM pk) ‖ body`). False for any bad signature or key.
 */
export function verifyHelloSignature(p: PqcProvider, devicePublicKey: Uint8Array, serverKemKeyHash: Uint8Array, hello: HelloEnvelope): boolean {
  return p.mlDsaVerify(devicePublicKey, helloSignedMessage(serverKemKeyHash, hello.body), hello.signature, HELLO_CONTEXT_BYTES);
}

/**
 * The server's side after the HELLO was accepted: decapsulates, derives the session secrets and builds the ACCEPT.
 *
 * Cost: one X-Wing decapsulation, four HKDF calls, one AES-GCM seal.
 */
export function answerHello(p: PqcProvider, kemKeyPair: XWingKeyPair, serverKemKeyHash: Uint8Array, hello: HelloEnvelope): { readonly secrets: SessionSecrets; readonly reply: Uint8Array } {
  const ss = xwingDecapsulate(p, kemKeyPair, hello.ciphertext);
  const th = transcriptHash(serverKemKeyHash, hello.bytes);
  const secrets = deriveSessionSecrets(ss, th);
  ss.fill(0);
  return { secrets, reply: encodeAccept(secrets.sessionId, confirmationTag(secrets.s2c, secrets.sessionId, th)) };
}

/** The replay-cache key of a HELLO: hex of the first 16 bytes of SHA-256 of its signed body. */
export function helloReplayKey(hello: HelloEnvelope): string {
  return toHex(sha256(hello.body).subarray(0, 16));
}

/**
 * Remembers accepted HELLOs so that none is accepted twice.
 *
 * A HELLO is accepted only within ±`windowMs` of the server clock, so an entry can be forgotten once its
 * timestamp is older than `now − windowMs`. Bound and eviction: at most `maxEntries` entries in a min-heap by
 * timestamp; the oldest entries are dropped first, whether expired or (when full) still live. Every dropped
 * timestamp raises a watermark, and HELLOs with a timestamp at or below the watermark count as seen: eviction
 * can make the server refuse an old-but-valid HELLO (the device retries with a fresh one), never accept a replay.
 * O(log n) per add.
 */
export class HelloReplayCache {
  readonly maxEntries: number;
  readonly windowMs: number;
  private readonly keys = new Set<string>();
  private readonly heapTs: number[] = [];
  private readonly heapKey: string[] = [];
  private watermark = -Infinity;

  /**
   * @param maxEntries bound, integer ≥ 1 (default 100,000)
   * @param windowMs the timestamp tolerance, ms (default {@link HELLO_MAX_SKEW_MS})
   * @throws RangeError when out of range
   */
  constructor(maxEntries = 100_000, windowMs = HELLO_MAX_SKEW_MS) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be an integer >= 1');
    if (!(windowMs >= 0)) throw new RangeError('windowMs must be >= 0');
    this.maxEntries = maxEntries;
    this.windowMs = windowMs;
  }

  /** Entries held. */
  get size(): number {
    return this.keys.size;
  }

  /** Timestamps at or below this are treated as seen (−Infinity until something was dropped). */
  get watermarkMs(): number {
    return this.watermark;
  }

  /** Whether a HELLO with this key and timestamp must be refused as a (possible) replay. */
  seen(key: string, tsMs: number): boolean {
    return tsMs <= this.watermark || this.keys.has(key);
  }

  /** Records an accepted HELLO (after dropping expired entries, and the oldest when full). */
  add(key: string, tsMs: number, nowMs: number): void {
    while (this.heapTs.length > 0 && this.heapTs[0]! < nowMs - this.windowMs) this.pop();
    while (this.heapTs.length >= this.maxEntries) this.pop();
    if (this.keys.has(key)) return;
    this.keys.add(key);
    const ts = this.heapTs;
    const ks = this.heapKey;
    let i = ts.length;
    ts.push(tsMs);
    ks.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (ts[parent]! <= tsMs) break;
      ts[i] = ts[parent]!;
      ks[i] = ks[parent]!;
      i = parent;
    }
    ts[i] = tsMs;
    ks[i] = key;
  }

  private pop(): void {
    const ts = this.heapTs;
    const ks = this.heapKey;
    this.watermark = Math.max(this.watermark, ts[0]!);
    this.keys.delete(ks[0]!);
    const lastTs = ts.pop()!;
    const lastKey = ks.pop()!;
    const n = ts.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && ts[l + 1]! < ts[l]! ? l + 1 : l;
      if (ts[c]! >= lastTs) break;
      ts[i] = ts[c]!;
      ks[i] = ks[c]!;
      i = c;
    }
    ts[i] = lastTs;
    ks[i] = lastKey;
  }
}
