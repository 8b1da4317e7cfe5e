/**
 * The edge agent's secure uplink over HTTP: the post-quantum channel (`src/pqc/channel-client.ts`,
 * `docs/envelope.md`) carried by the server's routes under `/api/v1`.
 *
 * 1. `GET /pqc/server-keys` → verify the KEM key statement against the pinned server identity (ML-DSA-65). With no
 *    pin configured the identity in the answer is trusted on first use and reported through `onTrustOnFirstUse`
 *    (the caller should store it and pass it as `serverIdentityPublicKey` from then on); later answers must carry
 *    the same identity, or IPQ-P007.
 * 2. `POST /devices` (bearer token, ingest scope) with the device's ML-DSA-65 public key and its proof of possession
 *    (`src/pqc/enrollment.ts`); an operator then approves the device.
 * 3. `POST /sessions` with a HELLO envelope → ACCEPT (content type `application/vnd.ipqsec.envelope`).
 * 4. `POST /events` with a DATA envelope holding the JSON array of events → a DATA envelope holding the JSON answer.
 *
 * Recovery, once per call: when the server answers IPQ-P005 `unknown_session` (session expired, evicted, or the
 * server restarted) the uplink sends a new HELLO and the batch again; when a HELLO is refused with `kem_key` or the
 * statement expired, it fetches the server keys again first. Every other error is thrown: IpqsecError with the
 * server's catalogue code (e.g. IPQ-P006 when the device is not approved), IPQ-S003 for transport failures and
 * answers that are not what the route promises.
 */
import { ERROR_CATALOGUE, IpqsecError, isIpqsecError, type ErrorCode } from '../core/errors.js';
import { ChannelClient } from '../pqc/channel-client.js';
import { enrollmentProof } from '../pqc/enrollment.js';
import type { MlDsaKeyPair, PqcProvider } from '../pqc/provider.js';
import { defaultPqcProvider } from '../pqc/select-provider.js';
import { readServerKeysDocument, verifyServerKeys, type ServerKeyStatement } from '../pqc/server-keys.js';
import { CHANNEL_REJECT_REASONS, rejectionReason, type ChannelRejectReason, type SessionOptions } from '../pqc/session.js';
import { sha256 } from '../pqc/classical.js';

/** Content type of envelopes on the wire. */
export const ENVELOPE_CONTENT_TYPE = 'application/vnd.ipqsec.envelope';

/** What was pinned on first use. */
export interface TrustOnFirstUse {
  /** Identity name from the server's statement. */
  readonly name: string;
  /** ML-DSA-65 public key, 1,952 bytes. */
  readonly publicKey: Uint8Array;
  /** SHA-256 of the public key, hex (to show an operator for an out-of-band check). */
  readonly fingerprint: string;
}

/** Options of {@link SecureUplink}. */
export interface SecureUplinkOptions {
  /** Base URL of the server, e.g. `http://10.0.0.2:8080` (the routes are under `/api/v1`). */
  readonly server: string;
  /** Device id (`DEVICE_ID_PATTERN` of src/pqc/envelope.ts). */
  readonly deviceId: string;
  /** The device's ML-DSA-65 key pair. */
  readonly identity: MlDsaKeyPair;
  /** Default `defaultPqcProvider()`. */
  readonly provider?: PqcProvider;
  /** Pinned server identity public key (ML-DSA-65). Without it: trust on first use, reported. */
  readonly serverIdentityPublicKey?: Uint8Array;
  /** Called once when an identity is pinned on first use. */
  readonly onTrustOnFirstUse?: (pin: TrustOnFirstUse) => void;
  /** Bearer token for `POST /devices` (ingest scope); sent with no other request. */
  readonly token?: string;
  /** Default global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Clock, epoch ms. Default `Date.now`. */
  readonly nowMs?: () => number;
  /** Timeout of one HTTP request, ms. Default 30,000. */
  readonly requestTimeoutMs?: number;
  /** Session options (must match the server's). */
  readonly session?: Partial<SessionOptions>;
}

/** Answer of `POST /devices`. */
export interface EnrollmentAnswer {
  readonly device_id: string;
  readonly status: 'pending' | 'approved' | 'revoked';
  readonly key_id: string;
}

function isErrorCode(c: unknown): c is ErrorCode {
  return typeof c === 'string' && Object.hasOwn(ERROR_CATALOGUE, c);
}

/** The channel reason named in a server error message (`…: <reason>: …`), if any. */
function reasonInMessage(message: string): ChannelRejectReason | undefined {
  return CHANNEL_REJECT_REASONS.find((r) => message.includes(`: ${r}:`) || message.startsWith(`${r}:`));
}

/** The HTTP secure uplink of one device; see the file comment. Calls may overlap; the handshake is shared. */
export class SecureUplink {
  private readonly o: SecureUplinkOptions;
  private readonly p: PqcProvider;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly base: string;
  private pin: Uint8Array | undefined;
  private client: ChannelClient | undefined;
  private connecting: Promise<string> | undefined;

  /** @throws RangeError when `server` is not an http(s) URL */
  constructor(o: SecureUplinkOptions) {
    const url = new URL(o.server);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`server must be an http(s) URL, got ${o.server}`);
    this.o = o;
    this.base = `${o.server.replace(/\/+$/, '')}/api/v1`;
    this.p = o.provider ?? defaultPqcProvider();
    this.fetchFn = o.fetch ?? fetch;
    this.now = o.nowMs ?? Date.now;
    this.pin = o.serverIdentityPublicKey;
  }

  /** The pinned server identity public key (configured or pinned on first use), if any yet. */
  get pinnedIdentity(): Uint8Array | undefined {
    return this.pin;
  }

  /** Id of the open session, if any. */
  get sessionId(): string | undefined {
    return this.client?.sessionId;
  }

  private async request(method: string, path: string, body: Uint8Array | string | undefined, headers: Record<string, string>): Promise<{ status: number; contentType: string; bytes: Uint8Array }> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await this.fetchFn(url, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(this.o.requestTimeoutMs ?? 30_000) });
    } catch (e) {
      const why = e instanceof Error ? (e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message) : String(e);
      throw new IpqsecError('IPQ-S003', `${method} ${url}: ${why}`, { details: { url }, cause: e });
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const contentType = res.headers.get('content-type') ?? '';
    if (res.status >= 200 && res.status < 300) return { status: res.status, contentType, bytes };
    // A catalogue error body {error: {code, message}}: rethrow with the server's code and the channel reason.
    let code: unknown;
    let message = new TextDecoder().decode(bytes.subarray(0, 2000));
    let reason: unknown;
    try {
      const err = (JSON.parse(message) as { error?: { code?: unknown; message?: unknown; reason?: unknown } }).error;
      code = err?.code;
      if (typeof err?.message === 'string') message = err.message;
      reason = err?.reason;
    } catch {
      // not JSON: reported as IPQ-S003 below
    }
    if (isErrorCode(code)) {
      const r = typeof reason === 'string' ? reason : reasonInMessage(message);
      throw new IpqsecError(code, `${method} ${url} answered ${res.status}: ${message}`, { details: { url, status: res.status, ...(r === undefined ? {} : { reason: r }) } });
    }
    throw new IpqsecError('IPQ-S003', `${method} ${url} answered ${res.status}: ${message}`, { details: { url, status: res.status } });
  }

  private async requestJson(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    const r = await this.request(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? headers : { 'content-type': 'application/json', ...headers });
    try {
      return JSON.parse(new TextDecoder().decode(r.bytes)) as unknown;
    } catch {
      throw new IpqsecError('IPQ-S003', `${method} ${this.base}${path}: answer is not JSON`, { details: { path } });
    }
  }

  private async requestEnvelope(path: string, envelope: Uint8Array): Promise<Uint8Array> {
    const r = await this.request('POST', path, envelope, { 'content-type': ENVELOPE_CONTENT_TYPE });
    if (!r.contentType.startsWith(ENVELOPE_CONTENT_TYPE)) throw new IpqsecError('IPQ-S003', `POST ${this.base}${path}: answer of type ${JSON.stringify(r.contentType)}, expected ${ENVELOPE_CONTENT_TYPE}`, { details: { path } });
    return r.bytes;
  }

  /**
   * Fetches and verifies the server KEM key statement (pinning the identity on first use when none is pinned).
   *
   * @throws IpqsecError IPQ-P007 when the statement is malformed, signed by another identity than the pinned one,
   *   or outside its validity; IPQ-S003 when the server is unreachable
   */
  async fetchServerKeys(): Promise<ServerKeyStatement> {
    const doc = readServerKeysDocument(await this.requestJson('GET', '/pqc/server-keys', undefined));
    const nowMs = this.now();
    if (this.pin === undefined) {
      const keys = verifyServerKeys(this.p, doc.identityPublicKey, doc.statement, doc.signature, nowMs);
      this.pin = doc.identityPublicKey;
      this.o.onTrustOnFirstUse?.({ name: doc.name, publicKey: doc.identityPublicKey, fingerprint: Buffer.from(sha256(doc.identityPublicKey)).toString('hex') });
      return keys;
    }
    return verifyServerKeys(this.p, this.pin, doc.statement, doc.signature, nowMs);
  }

  /**
   * Enrolls the device (`POST /devices` with the proof of possession); it can open sessions once approved.
   *
   * @throws IpqsecError with the server's code (IPQ-P009 when the id is enrolled with another key, IPQ-A001/A002
   *   for the token) or IPQ-S003
   */
  async enroll(): Promise<EnrollmentAnswer> {
    const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
    const body = { device_id: this.o.deviceId, public_key: b64(this.o.identity.publicKey), proof: b64(enrollmentProof(this.p, this.o.deviceId, this.o.identity)) };
    const answer = (await this.requestJson('POST', '/devices', body, this.o.token === undefined ? {} : { authorization: `Bearer ${this.o.token}` })) as Partial<EnrollmentAnswer> | null;
    if (answer === null || typeof answer !== 'object' || answer.device_id !== this.o.deviceId || typeof answer.status !== 'string') {
      throw new IpqsecError('IPQ-S003', `POST ${this.base}/devices: unexpected answer`, { details: { answer } });
    }
    return answer as EnrollmentAnswer;
  }

  private async newClient(): Promise<ChannelClient> {
    const serverKeys = await this.fetchServerKeys();
    return new ChannelClient({ provider: this.p, deviceId: this.o.deviceId, identity: this.o.identity, serverKeys, nowMs: this.now, ...(this.o.session === undefined ? {} : { session: this.o.session }) });
  }

  private async handshake(): Promise<string> {
    let refreshed = false;
    for (;;) {
      this.client ??= await this.newClient();
      const client = this.client;
      try {
        client.accept(await this.requestEnvelope('/sessions', client.hello()));
        return client.sessionId!;
      } catch (e) {
        const stale = (isIpqsecError(e, 'IPQ-P005') && e.details?.reason === 'kem_key') || (isIpqsecError(e, 'IPQ-P007') && e.details?.reason === 'expired');
        if (!stale || refreshed) throw e;
        refreshed = true;
        this.client = undefined;
      }
    }
  }

  /**
   * Opens a session (fetching the server keys first when needed); concurrent callers share one handshake.
   *
   * @returns the session id
   * @throws IpqsecError IPQ-P006 (device unknown, pending or revoked), IPQ-P005, IPQ-P007, IPQ-S003
   */
  connect(): Promise<string> {
    this.connecting ??= this.handshake().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * Sends a batch of events through the channel (`POST /events`) and returns the server's JSON answer, opened
   * from its sealed reply. Reconnects once when the server lost the session.
   *
   * @throws IpqsecError with the server's code (e.g. IPQ-E001 for events failing their schema), IPQ-P005 when an
   *   envelope is rejected again after reconnecting, IPQ-P006, IPQ-S003
   */
  async sendEvents(events: readonly unknown[]): Promise<unknown> {
    const plaintext = new TextEncoder().encode(JSON.stringify(events));
    for (let attempt = 0; ; attempt++) {
      if (this.client?.state !== 'open') await this.connect();
      const client = this.client!;
      let reply: Uint8Array;
      try {
        reply = await this.requestEnvelope('/events', client.seal(plaintext));
      } catch (e) {
        if (attempt === 0 && rejectionReason(e) === 'unknown_session') {
          if (this.client === client) client.reset();
          continue;
        }
        throw e;
      }
      const opened = client.open(reply);
      try {
        return JSON.parse(new TextDecoder().decode(opened)) as unknown;
      } catch {
        throw new IpqsecError('IPQ-S003', `POST ${this.base}/events: sealed answer is not JSON`);
      }
    }
  }

  /** Forgets the session (keys zero-filled); the next call opens a new one. */
  close(): void {
    this.client?.reset();
  }
}
