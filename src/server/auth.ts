/**
 * Bearer-token authentication of the API (RFC 6750 §2.1: `Authorization: Bearer <token>`).
 *
 * Tokens are `ipq_` followed by 32 random bytes in base64url (43 characters, 256 bits). The store keeps only
 * the SHA-256 of the token (hex, {@link hashToken}); the secret is shown once, when created. A fast unsalted hash
 * is right here because the secret is 256 random bits (nothing to brute-force), unlike a password.
 *
 * Scopes: `ingest` (send events), `read` (query, stream, metrics), `admin` (tokens, lists, acks; implies the
 * other two). Each route names the scopes that grant it in its `config.scopes` (default: admin only, so a route
 * that forgets to say is closed, not open); `config.public: true` opens a route (only `GET /api/v1/health`).
 * Missing, unknown or revoked token → 401 `IPQ-A001`; a token without the scope → 403 `IPQ-A002`.
 *
 * Caching: a successful lookup is cached by hash for `ttlMs` (default 5 s) in a map of at most `maxEntries`
 * (default 1,024) that evicts the oldest entry, so ingest does not read the store per request. Unknown tokens
 * are not cached (random tokens cannot evict good ones beyond one store read each). A token revoked through
 * this server (`DELETE /api/v1/tokens/:id`) is dropped from the cache at once; one revoked behind the server's
 * back (another process writing the store) stops working within `ttlMs`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IpqsecError } from '../core/errors.js';
import { idGenerator } from '../core/ids.js';
import type { Scope, Store, TokenRecord } from '../store/store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scopes any one of which grants the route (`admin` always does). Omitted: admin only. */
    scopes?: readonly Scope[];
    /** True for routes that need no token. */
    public?: boolean;
    /** True when a secure-channel envelope body needs no token (the channel authenticates the device). */
    envelope?: boolean;
  }
  interface FastifyRequest {
    /** The authenticated token (null on public routes). */
    token: TokenRecord | null;
  }
}

/** Every scope, in documentation order. */
export const SCOPES: readonly Scope[] = ['ingest', 'read', 'admin'];

/** Prefix of generated tokens (makes leaked tokens easy to find with secret scanners). */
export const TOKEN_PREFIX = 'ipq_';

/** Shortest IPQSEC_ADMIN_TOKEN accepted (characters): 128 bits of base64url. */
export const MIN_ENV_TOKEN_LENGTH = 22;

/** Longest token accepted in a header (characters); longer ones are refused without hashing. */
const MAX_TOKEN_LENGTH = 512;
/** RFC 6750 §2.1 `b64token` after the case-insensitive scheme. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** SHA-256 of a token, lowercase hex (64 characters): what the store keeps. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new secret: `ipq_` + base64url of 32 bytes from the OS CSPRNG (node:crypto `randomBytes`). */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** True when `record` grants one of `scopes` (admin grants everything). */
export function hasScope(record: TokenRecord, scopes: readonly Scope[]): boolean {
  if (record.scopes.includes('admin')) return true;
  for (const s of scopes) if (record.scopes.includes(s)) return true;
  return false;
}

/**
 * Makes sure an admin token exists, at service start.
 * - `envToken` given (IPQSEC_ADMIN_TOKEN): a token with its hash is created with scope `admin` unless one exists;
 *   throws `IPQ-S002` when it is shorter than {@link MIN_ENV_TOKEN_LENGTH}, or when the stored token with that
 *   hash was revoked or lacks `admin` (choose another secret).
 * - otherwise, when no unrevoked admin token exists, generates one and returns it (the only time it is known:
 *   the CLI prints it once);
 * - otherwise returns `{ generated: null }`.
 *
 * @param opts.newId id of the created token record (default: a ULID-layout id); opts.nowMs its `created_ms`
 */
export async function ensureAdminToken(
  store: Store,
  envToken: string | undefined,
  opts: { newId?: () => string; nowMs?: () => number } = {},
): Promise<{ generated: string | null }> {
  const newId = opts.newId ?? idGenerator((n) => randomBytes(n));
  const nowMs = opts.nowMs ?? Date.now;
  if (envToken !== undefined && envToken !== '') {
    if (envToken.length < MIN_ENV_TOKEN_LENGTH || envToken.length > MAX_TOKEN_LENGTH || !BEARER.test(`Bearer ${envToken}`)) {
      throw new IpqsecError('IPQ-S002', `IPQSEC_ADMIN_TOKEN must be ${MIN_ENV_TOKEN_LENGTH}..${MAX_TOKEN_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / (generate one with: openssl rand -base64 32)`);
    }
    const hash = hashToken(envToken);
    const existing = await store.findTokenByHash(hash);
    if (existing === undefined) {
      await store.createToken({ id: newId(), name: 'admin (IPQSEC_ADMIN_TOKEN)', hash, scopes: ['admin'], created_ms: nowMs(), revoked: false });
    } else if (existing.revoked || !existing.scopes.includes('admin')) {
      throw new IpqsecError('IPQ-S002', `IPQSEC_ADMIN_TOKEN matches token ${existing.id} which is ${existing.revoked ? 'revoked' : 'not an admin token'}; choose another secret`);
    }
    return { generated: null };
  }
  const tokens = await store.listTokens();
  if (tokens.some((t) => !t.revoked && t.scopes.includes('admin'))) return { generated: null };
  const token = generateToken();
  await store.createToken({ id: newId(), name: 'admin', hash: hashToken(token), scopes: ['admin'], created_ms: nowMs(), revoked: false });
  return { generated: token };
}

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  /** How long a looked-up token is trusted without asking the store again (ms, default 5,000). */
  readonly ttlMs?: number;
  /** Most cached tokens (default 1,024); the oldest entry is evicted first. */
  readonly maxEntries?: number;
  readonly nowMs?: () => number;
}

/** Bounded, short-lived cache of token lookups by hash (see the file comment for the revocation delay). */
export class TokenCache {
  private readonly entries = new Map<string, { record: TokenRecord; expiresMs: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly nowMs: () => number;

  constructor(
    private readonly store: Store,
    opts: TokenCacheOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 5_000;
    this.maxEntries = opts.maxEntries ?? 1_024;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  /** The unrevoked token with this hash, or undefined. Reads the store at most once per `ttlMs` per token. */
  async lookup(hash: string): Promise<TokenRecord | undefined> {
    const now = this.nowMs();
    const hit = this.entries.get(hash);
    if (hit !== undefined && hit.expiresMs > now) return hit.record;
    if (hit !== undefined) this.entries.delete(hash);
    const record = await this.store.findTokenByHash(hash);
    if (record === undefined || record.revoked) return undefined;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, { record, expiresMs: now + this.ttlMs });
    return record;
  }

  /** Drops the cached token with this id (after a revocation). O(entries). */
  forgetId(id: string): void {
    for (const [hash, e] of this.entries) if (e.record.id === id) this.entries.delete(hash);
  }
}

/**
 * Reads the bearer token of a request and returns its record.
 * @throws IpqsecError IPQ-A001 when the header is missing or malformed or the token unknown or revoked
 */
export async function authenticate(req: FastifyRequest, cache: TokenCache): Promise<TokenRecord> {
  const header = req.headers.authorization;
  if (header === undefined || header === '') throw new IpqsecError('IPQ-A001', 'no Authorization header (expected: Bearer <token>)');
  const m = header.length <= MAX_TOKEN_LENGTH + 16 ? BEARER.exec(header) : null;
  if (m === null) throw new IpqsecError('IPQ-A001', 'Authorization header is not `Bearer <token>`');
  const record = await cache.lookup(hashToken(m[1]));
  if (record === undefined) throw new IpqsecError('IPQ-A001', 'token unknown or revoked');
  return record;
}

/** True when the request's Content-Type is the secure-channel envelope's (parameters ignored). */
function isEnvelopeRequest(req: FastifyRequest): boolean {
  const ct = req.headers['content-type'];
  return typeof ct === 'string' && ct.split(';', 1)[0]!.trim().toLowerCase() === 'application/vnd.ipqsec.envelope';
}

/**
 * Installs authentication on every route whose pattern starts with `/api/` as a root `onRequest` hook (before the body is read,
 * so an unauthenticated client cannot make the server parse a large body). Unknown `/api/` paths need a valid
 * token of any scope before they answer 404, so that the route table is not probeable anonymously.
 */
export function installAuth(app: FastifyInstance, cache: TokenCache): void {
  app.decorateRequest('token', null);
  app.addHook('onRequest', async (req: FastifyRequest, _reply: FastifyReply) => {
    // Decide on the matched route pattern, never on the raw URL (the router decodes %-escapes, so a raw-URL
    // test could be bypassed with `/%61pi/...`).
    if (req.is404) {
      if (req.url.startsWith('/api/')) req.token = await authenticate(req, cache);
      return;
    }
    const config = req.routeOptions.config;
    if (config.public === true || !(req.routeOptions.url ?? '').startsWith('/api/')) return;
    if (config.envelope === true && isEnvelopeRequest(req)) return;
    const record = await authenticate(req, cache);
    req.token = record;
    const scopes = config.scopes ?? [];
    if (!hasScope(record, scopes)) {
      const need = [...new Set([...scopes, 'admin'])].join(' or ');
      throw new IpqsecError('IPQ-A002', `${req.method} ${req.routeOptions.url ?? ''} needs scope ${need}; token ${record.name} has ${record.scopes.join(', ')}`);
    }
  });
}
