/**
 * HTTP client of the log routes of an IPqSEC server (`/api/v1/log/*`, docs/ledger.md): the log key, the latest
 * and every checkpoint, entries (pages of {@link LOG_ENTRIES_PAGE}), inclusion and consistency proofs, and
 * posting a witness cosignature. Thin: it moves bytes and checks the shape of each answer; verification is
 * `src/ledger`.
 *
 * Errors: every failure (unreachable server, timeout, a non-2xx answer, an answer of the wrong shape) is
 * `IPQ-S003` naming the method and URL, with the server's error code and message when it sent one.
 */
import { z } from 'zod';
import { IpqsecError } from '../core/errors.js';

/** Most entries asked for per `GET /log/entries` request (the server's page limit). */
export const LOG_ENTRIES_PAGE = 1000;
/** Default per-request timeout, ms. */
export const LOG_CLIENT_TIMEOUT_MS = 30_000;

/** Options of {@link LogClient}. */
export interface LogClientOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8080` (without `/api/v1`). */
  readonly server: string;
  /** API token (scope `read`), needed only for the entries route. */
  readonly token?: string;
  /** `fetch` to use (tests). Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  /** Per-request timeout, ms. Default {@link LOG_CLIENT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** `GET /log/key`: the log's identity. */
export interface LogKeyInfo {
  readonly origin: string;
  readonly name: string;
  /** ML-DSA-65 public key (1,952 bytes). */
  readonly publicKey: Uint8Array;
  /** Key ID, 8 hex digits. */
  readonly keyId: string;
  /** Signed-note verifier key string. */
  readonly vkey: string;
}

/** One issued checkpoint (`GET /log/checkpoints`). */
export interface CheckpointRecord {
  readonly size: number;
  readonly ts_ms: number;
  /** The signed note with its cosignature lines. */
  readonly note: string;
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const b64 = z.string().regex(B64, 'base64');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const KeySchema = z.object({ origin: z.string().min(1), name: z.string().min(1), public_key: b64, key_id: z.string(), vkey: z.string().min(1) });
const CheckpointsSchema = z.object({ checkpoints: z.array(z.object({ size: count, ts_ms: count, note: z.string() })), next_start: count.nullable() });
const EntriesSchema = z.object({ entries: z.array(z.object({ index: count, data: b64 })) });
const InclusionSchema = z.object({ index: count, size: count, leaf_hash: b64, proof: z.array(b64) });
const ConsistencySchema = z.object({ old: count, new: count, proof: z.array(b64) });

const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** Client of one server's log routes; see the file comment. */
export class LogClient {
  private readonly base: string;
  private readonly token: string | undefined;
  private readonly doFetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(o: LogClientOptions) {
    this.base = `${o.server.replace(/\/+$/, '')}/api/v1`;
    this.token = o.token;
    this.doFetch = o.fetch ?? globalThis.fetch;
    this.timeoutMs = o.timeoutMs ?? LOG_CLIENT_TIMEOUT_MS;
  }

  /** `GET /log/key`. */
  async key(): Promise<LogKeyInfo> {
    const k = await this.json('GET', '/log/key', KeySchema);
    return { origin: k.origin, name: k.name, publicKey: fromB64(k.public_key), keyId: k.key_id, vkey: k.vkey };
  }

  /** `GET /log/checkpoint`: the latest signed checkpoint note. */
  async checkpoint(): Promise<string> {
    return this.text('GET', '/log/checkpoint');
  }

  /** Every checkpoint from tree size `start` on, ascending (follows `next_start` through all pages). */
  async checkpoints(start = 0): Promise<CheckpointRecord[]> {
    const out: CheckpointRecord[] = [];
    let next: number | null = start;
    while (next !== null) {
      const page: z.infer<typeof CheckpointsSchema> = await this.json('GET', `/log/checkpoints?start=${next}&limit=${LOG_ENTRIES_PAGE}`, CheckpointsSchema);
      out.push(...page.checkpoints);
      if (page.next_start !== null && page.next_start <= next) throw this.shapeError('GET', `/log/checkpoints?start=${next}`, `next_start ${page.next_start} does not advance`);
      next = page.next_start;
    }
    return out;
  }

  /**
   * Entries `start <= index < end` (canonical bytes), fetched in pages of {@link LOG_ENTRIES_PAGE}. Stops early,
   * returning fewer, when the server has no more (a short log is for the verifier to judge, not an I/O error).
   * @param onPage called after each page with the number of entries fetched so far
   */
  async entries(start: number, end: number, onPage?: (fetched: number) => void): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    let at = start;
    while (at < end) {
      const to = Math.min(end, at + LOG_ENTRIES_PAGE);
      const path = `/log/entries?start=${at}&end=${to}`;
      const page = await this.json('GET', path, EntriesSchema);
      if (page.entries.length === 0) break;
      for (const e of page.entries) {
        if (e.index !== at) throw this.shapeError('GET', path, `entry index ${e.index} where ${at} was expected`);
        out.push(fromB64(e.data));
        at++;
        if (at >= to) break;
      }
      onPage?.(out.length);
      if (at < to) break;
    }
    return out;
  }

  /** `GET /log/proof/inclusion`. */
  async inclusionProof(index: number, size: number): Promise<{ leafHash: Uint8Array; proof: Uint8Array[] }> {
    const r = await this.json('GET', `/log/proof/inclusion?index=${index}&size=${size}`, InclusionSchema);
    return { leafHash: fromB64(r.leaf_hash), proof: r.proof.map(fromB64) };
  }

  /** `GET /log/proof/consistency`. */
  async consistencyProof(oldSize: number, newSize: number): Promise<Uint8Array[]> {
    const r = await this.json('GET', `/log/proof/consistency?old=${oldSize}&new=${newSize}`, ConsistencySchema);
    return r.proof.map(fromB64);
  }

  /** `POST /log/cosignatures` with one signature line. */
  async postCosignature(size: number, cosignature: string): Promise<void> {
    await this.request('POST', '/log/cosignatures', JSON.stringify({ size, cosignature }));
  }

  private async json<T>(method: string, path: string, schema: z.ZodType<T>): Promise<T> {
    const text = await this.request(method, path);
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw this.shapeError(method, path, `not JSON: ${text.slice(0, 200)}`);
    }
    const r = schema.safeParse(v);
    if (!r.success) throw this.shapeError(method, path, `unexpected answer: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300)}`);
    return r.data;
  }

  private async text(method: string, path: string): Promise<string> {
    return this.request(method, path);
  }

  private shapeError(method: string, path: string, why: string): IpqsecError {
    const url = `${this.base}${path}`;
    return new IpqsecError('IPQ-S003', `${method} ${url}: ${why}`, { details: { url } });
  }

  private async request(method: string, path: string, body?: string): Promise<string> {
    const url = `${this.base}${path}`;
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.doFetch(url, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      const why = e instanceof Error ? (e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message) : String(e);
      throw new IpqsecError('IPQ-S003', `${method} ${url}: ${why}`, { details: { url }, cause: e });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new IpqsecError('IPQ-S003', `${method} ${url}: reading the answer failed: ${e instanceof Error ? e.message : String(e)}`, { details: { url }, cause: e });
    }
    if (!res.ok) {
      let code: string | undefined;
      let message = text.slice(0, 500);
      try {
        const err = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
        if (typeof err?.code === 'string') code = err.code;
        if (typeof err?.message === 'string') message = err.message;
      } catch {
        // not JSON: keep the text
      }
      throw new IpqsecError('IPQ-S003', `${method} ${url} answered ${res.status}${code === undefined ? '' : ` ${code}`}: ${message}`, {
        details: { url, status: res.status, ...(code === undefined ? {} : { serverCode: code }) },
      });
    }
    return text;
  }
}
