import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { TEST_ADMIN_TOKEN, bearer, createTestApp, interceptStore, openTestStore } from './_test-deps.js';
import { TokenCache, ensureAdminToken, generateToken, hashToken, hasScope } from './auth.js';
import type { TokenRecord } from '../store/store.js';

const record = (scopes: TokenRecord['scopes'], over: Partial<TokenRecord> = {}): TokenRecord => ({
  id: 't1',
  name: 'n',
  hash: 'h',
  scopes,
  created_ms: 0,
  revoked: false,
  ...over,
});

describe('token primitives', () => {
  it('hashToken is SHA-256 hex (FIPS 180-4 test vector "abc")', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('generateToken is ipq_ + 43 base64url characters (32 bytes) and never repeats', () => {
    const a = generateToken();
    const b = generateToken();
    expect(a).toMatch(/^ipq_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(4), 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('hasScope: admin implies every scope; others grant only themselves', () => {
    expect(hasScope(record(['admin']), ['ingest'])).toBe(true);
    expect(hasScope(record(['admin']), [])).toBe(true);
    expect(hasScope(record(['read']), ['ingest', 'read'])).toBe(true);
    expect(hasScope(record(['read']), ['ingest'])).toBe(false);
    expect(hasScope(record(['ingest', 'read']), [])).toBe(false);
  });
});

describe('ensureAdminToken', () => {
  it('generates one admin token on an empty store, then nothing', async () => {
    const store = await openTestStore();
    const first = await ensureAdminToken(store, undefined);
    expect(first.generated).toMatch(/^ipq_/);
    const stored = await store.findTokenByHash(hashToken(first.generated!));
    expect(stored?.scopes).toEqual(['admin']);
    expect(JSON.stringify(await store.listTokens())).not.toContain(first.generated!);
    expect((await ensureAdminToken(store, undefined)).generated).toBeNull();
    expect(await store.listTokens()).toHaveLength(1);
  });

  it('generates a new one when the only admin token was revoked', async () => {
    const store = await openTestStore();
    const first = await ensureAdminToken(store, undefined, { newId: () => 'a1' });
    await store.revokeToken('a1');
    const second = await ensureAdminToken(store, undefined, { newId: () => 'a2' });
    expect(second.generated).toMatch(/^ipq_/);
    expect(second.generated).not.toBe(first.generated);
  });

  it('installs IPQSEC_ADMIN_TOKEN by hash once, and refuses short or revoked ones', async () => {
    const store = await openTestStore();
    const env = 'my-admin-secret-of-enough-length';
    expect(await ensureAdminToken(store, env, { newId: () => 'env1' })).toEqual({ generated: null });
    expect(await ensureAdminToken(store, env, { newId: () => 'env2' })).toEqual({ generated: null });
    expect((await store.listTokens()).map((t) => [t.id, t.hash, t.scopes])).toEqual([['env1', hashToken(env), ['admin']]]);
    await expect(ensureAdminToken(store, 'short')).rejects.toSatisfy((e) => isIpqsecError(e, 'IPQ-S002'));
    await store.revokeToken('env1');
    await expect(ensureAdminToken(store, env)).rejects.toSatisfy((e) => isIpqsecError(e, 'IPQ-S002'));
  });
});

describe('TokenCache', () => {
  it('reads the store at most once per TTL and sees a revocation after it', async () => {
    const real = await openTestStore();
    await real.createToken(record(['read'], { hash: hashToken('s') }));
    let reads = 0;
    const store = interceptStore(real, (m) => {
      if (m === 'findTokenByHash') reads++;
    });
    let now = 1_000;
    const cache = new TokenCache(store, { ttlMs: 5_000, nowMs: () => now });
    expect((await cache.lookup(hashToken('s')))?.id).toBe('t1');
    expect((await cache.lookup(hashToken('s')))?.id).toBe('t1');
    expect(reads).toBe(1);
    await store.revokeToken('t1');
    now += 4_999;
    expect(await cache.lookup(hashToken('s'))).toBeDefined();
    now += 1;
    expect(await cache.lookup(hashToken('s'))).toBeUndefined();
    expect(reads).toBe(2);
  });

  it('holds at most maxEntries, evicting the oldest', async () => {
    const real = await openTestStore();
    for (let i = 0; i < 3; i++) await real.createToken(record(['read'], { id: `t${i}`, hash: hashToken(`s${i}`) }));
    let reads = 0;
    const store = interceptStore(real, (m) => {
      if (m === 'findTokenByHash') reads++;
    });
    const cache = new TokenCache(store, { maxEntries: 2, nowMs: () => 0 });
    await cache.lookup(hashToken('s0'));
    await cache.lookup(hashToken('s1'));
    await cache.lookup(hashToken('s2')); // evicts s0
    expect(reads).toBe(3);
    await cache.lookup(hashToken('s1'));
    expect(reads).toBe(3);
    await cache.lookup(hashToken('s0'));
    expect(reads).toBe(4);
  });
});

describe('auth over HTTP', () => {
  it('health needs no token', async () => {
    const { app } = await createTestApp();
    const r = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', version: '0.0.0-test', events_stored: 0 });
  });

  it('matrix: none → 401 with Bearer challenge, wrong scope → 403, right scope or admin → 2xx', async () => {
    const { app, admin, tokenWith } = await createTestApp();
    const ingest = bearer(await tokenWith(['ingest']));
    const read = bearer(await tokenWith(['read']));
    const cases: { method: 'GET' | 'POST'; url: string; payload?: unknown; allowed: ('ingest' | 'read' | 'admin')[] }[] = [
      { method: 'POST', url: '/api/v1/events', payload: [], allowed: ['ingest', 'admin'] },
      { method: 'POST', url: '/api/v1/events/predict', payload: [], allowed: ['ingest', 'read', 'admin'] },
      { method: 'GET', url: '/api/v1/events', allowed: ['read', 'admin'] },
      { method: 'GET', url: '/api/v1/alerts', allowed: ['read', 'admin'] },
      { method: 'GET', url: '/api/v1/entities', allowed: ['read', 'admin'] },
      { method: 'GET', url: '/api/v1/lists/block', allowed: ['read', 'admin'] },
      { method: 'POST', url: '/api/v1/lists/block', payload: { entity: 'ip:10.0.0.9' }, allowed: ['admin'] },
      { method: 'GET', url: '/api/v1/tokens', allowed: ['admin'] },
      { method: 'GET', url: '/api/v1/metrics', allowed: ['read', 'admin'] },
    ];
    const headers = { ingest, read, admin };
    for (const c of cases) {
      const none = await app.inject({ method: c.method, url: c.url, payload: c.payload as object });
      expect(none.statusCode, `${c.method} ${c.url} without token`).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(none.json().error.code).toBe('IPQ-A001');
      for (const who of ['ingest', 'read', 'admin'] as const) {
        const r = await app.inject({ method: c.method, url: c.url, payload: c.payload as object, headers: headers[who] });
        if (c.allowed.includes(who)) expect(r.statusCode, `${c.method} ${c.url} as ${who}: ${r.body}`).toBeLessThan(300);
        else {
          expect(r.statusCode, `${c.method} ${c.url} as ${who}`).toBe(403);
          expect(r.json().error.code).toBe('IPQ-A002');
        }
      }
    }
  });

  it('HEAD routes are guarded like their GET', async () => {
    const { app } = await createTestApp();
    expect((await app.inject({ method: 'HEAD', url: '/api/v1/tokens' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'HEAD', url: '/api/v1/health' })).statusCode).toBe(200);
  });

  it('unknown and malformed tokens are 401', async () => {
    const { app } = await createTestApp();
    for (const authorization of ['Bearer ipq_nope', 'Basic dXNlcjpwYXNz', 'Bearer', `Bearer ${'a'.repeat(5000)}`, TEST_ADMIN_TOKEN]) {
      const r = await app.inject({ method: 'GET', url: '/api/v1/events', headers: { authorization } });
      expect(r.statusCode, authorization.slice(0, 20)).toBe(401);
      expect(r.json().error.code).toBe('IPQ-A001');
    }
  });

  it('the scheme name is case-insensitive (RFC 6750 / RFC 9110 §11.1)', async () => {
    const { app } = await createTestApp();
    const r = await app.inject({ method: 'GET', url: '/api/v1/events', headers: { authorization: `bearer ${TEST_ADMIN_TOKEN}` } });
    expect(r.statusCode).toBe(200);
  });

  it('routing by %-escaped path cannot bypass authentication', async () => {
    const { app } = await createTestApp();
    const r = await app.inject({ method: 'GET', url: '/%61pi/v1/tokens' });
    expect([401, 404]).toContain(r.statusCode);
    expect(r.body).not.toContain('tok-admin');
  });

  it('a token revoked through the API is refused at once, one revoked in the store after the cache TTL', async () => {
    let now = 1_000_000;
    const { app, admin, deps, tokenWith } = await createTestApp({ nowMs: () => now, tokenCacheTtlMs: 5_000 });
    const a = await tokenWith(['read']);
    const b = await tokenWith(['read']);
    expect((await app.inject({ method: 'GET', url: '/api/v1/events', headers: bearer(a) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/events', headers: bearer(b) })).statusCode).toBe(200);
    const list = (await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: admin })).json().items as { id: string; name: string }[];
    const [idA, idB] = list.filter((t) => t.name === 'test read').map((t) => t.id);

    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${idA}`, headers: admin })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/api/v1/events', headers: bearer(a) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/tokens/tok-unknown', headers: admin })).statusCode).toBe(404);

    await deps.store.revokeToken(idB); // behind the server's back
    expect((await app.inject({ method: 'GET', url: '/api/v1/events', headers: bearer(b) })).statusCode).toBe(200);
    now += 5_000;
    expect((await app.inject({ method: 'GET', url: '/api/v1/events', headers: bearer(b) })).statusCode).toBe(401);
  });

  it('revoking is idempotent (204 twice) and an unknown id is 404 IPQ-E005', async () => {
    const { app, admin, tokenWith } = await createTestApp();
    await tokenWith(['read']);
    const list = (await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: admin })).json().items as { id: string; name: string }[];
    const id = list.find((t) => t.name === 'test read')!.id;
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: admin })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: admin })).statusCode).toBe(204);
    const unknown = await app.inject({ method: 'DELETE', url: '/api/v1/tokens/no-such-token', headers: admin });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('IPQ-E005');
  });

  it('token routes never disclose hashes; the secret is shown only at creation', async () => {
    const { app, admin, deps } = await createTestApp();
    const created = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: admin, payload: { name: 'gw', scopes: ['ingest'] } });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(Object.keys(body).sort()).toEqual(['id', 'name', 'scopes', 'token']);
    const rec = (await deps.store.findTokenByHash(hashToken(body.token)))!;
    expect(rec.id).toBe(body.id);
    const listed = await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: admin });
    expect(listed.body).not.toContain(rec.hash);
    expect(listed.body).not.toContain(body.token);
    expect(listed.json().items.find((t: { id: string }) => t.id === body.id)).toEqual({ id: body.id, name: 'gw', scopes: ['ingest'], created_ms: rec.created_ms, revoked: false });
  });

  it('token creation validates name and scopes (400 IPQ-E004 naming the field)', async () => {
    const { app, admin } = await createTestApp();
    for (const [payload, field] of [
      [{ name: '', scopes: ['read'] }, 'body.name'],
      [{ name: 'x', scopes: [] }, 'body.scopes'],
      [{ name: 'x', scopes: ['root'] }, 'body.scopes.0'],
      [{ name: 'x', scopes: ['read', 'read'] }, 'body.scopes'],
      [{ name: 'x', scopes: ['read'], hash: 'abc' }, 'body.hash'],
    ] as const) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: admin, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.code).toBe('IPQ-E004');
      expect(r.json().error.issues.map((i: { path: string }) => i.path)).toContain(field);
    }
  });
});
