/**
 * The post-quantum routes end to end through the real server (app.inject): enrollment and approval, the secure
 * channel carrying events into the real Monitor, device binding, revocation, and the tamper-evident log (every
 * alert, list change, enrollment and key change appended; checkpoints signed; proofs verified by the ledger's
 * verifier functions, which recompute roots independently of the tree that built them; cosignatures).
 */
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecureUplink } from '../agent/secure-uplink.js';
import { mlDsaCosigner } from '../ledger/cosignature.js';
import { openCheckpoint } from '../ledger/checkpoint.js';
import { decodeLogEntry } from '../ledger/log-entry.js';
import { leafHash, rootFromInclusionProof, verifyConsistency } from '../ledger/merkle.js';
import { formatSignatureLine, parseNote } from '../ledger/signed-note.js';
import { verifierFromKey } from '../ledger/verifier-key.js';
import { ChannelClient } from '../pqc/channel-client.js';
import { verifyServerKeys } from '../pqc/server-keys.js';
import { createPqcProvider } from '../pqc/select-provider.js';
import { createTestApp, TEST_IDENTITY_SEED } from './_test-deps.js';

const p = createPqcProvider('noble');
const ENVELOPE = 'application/vnd.ipqsec.envelope';
const T0 = Date.parse('2026-11-21T12:00:00Z');

/** A `fetch` that answers through `app.inject` (no socket), for the agent's SecureUplink. */
function injectFetch(app: FastifyInstance): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const body = init?.body;
    const r = await app.inject({
      method: (init?.method ?? 'GET') as 'GET' | 'POST',
      url: url.pathname + url.search,
      headers: (init?.headers ?? {}) as Record<string, string>,
      ...(body === undefined || body === null ? {} : { payload: typeof body === 'string' ? body : Buffer.from(body as Uint8Array) }),
    });
    return new Response(r.rawPayload.length === 0 ? null : r.rawPayload, { status: r.statusCode, headers: r.headers as Record<string, string> });
  }) as typeof fetch;
}

async function secureApp(witnesses: { name: string; publicKey: Uint8Array }[] = []) {
  const t = await createTestApp({}, { security: { witnesses } });
  const security = t.deps.security!;
  const ingest = await t.tokenWith(['ingest']);
  const device = (deviceId: string, seedByte: number) =>
    new SecureUplink({ server: 'http://ipqsec.test', deviceId, identity: p.mlDsaKeygen(new Uint8Array(32).fill(seedByte)), provider: p, token: ingest, fetch: injectFetch(t.app) });
  return { ...t, security, ingest, device };
}

const robotEvent = (robot: string, i: number, task = 'pick') => ({
  type: 'robot',
  timestamp: new Date(T0 + i * 1000).toISOString(),
  ip: '10.0.2.7',
  robot_id: robot,
  task,
  previous_task: null,
  ports_accessed: [502],
});

describe('secure channel through the server', () => {
  it('the server keys verify against the server identity; enrollment waits for approval; approved devices send events', async () => {
    const { app, admin, security, device, deps } = await secureApp();
    const keys = (await app.inject({ url: '/api/v1/pqc/server-keys' })).json() as { identity: { public_key: string }; statement: string; signature: string; kem: { key_id: string } };
    const identityPk = p.mlDsaKeygen(TEST_IDENTITY_SEED).publicKey;
    expect(Buffer.from(keys.identity.public_key, 'base64')).toEqual(Buffer.from(identityPk));
    const st = verifyServerKeys(p, identityPk, Buffer.from(keys.statement, 'base64'), Buffer.from(keys.signature, 'base64'), Date.now());
    expect(st.keyId).toBe(keys.kem.key_id);

    const r1 = device('r-1', 1);
    expect((await r1.enroll()).status).toBe('pending');
    await expect(r1.connect()).rejects.toMatchObject({ code: 'IPQ-P006' });
    const approve = await app.inject({ method: 'POST', url: '/api/v1/devices/r-1/approve', headers: admin });
    expect(approve.statusCode).toBe(200);
    expect(approve.json()).toMatchObject({ device_id: 'r-1', status: 'approved', decided_by: expect.any(String) });

    const answer = (await r1.sendEvents([robotEvent('r-1', 0), robotEvent('r-1', 1, 'place')])) as { results: { id: string; risk: number }[] };
    expect(answer.results).toHaveLength(2);
    expect(await deps.store.countEvents()).toBe(2);
    const stored = await deps.store.getEvent(answer.results[0]!.id);
    expect(stored?.entity).toBe('robot:r-1');
    expect(security.channel.sessionCount).toBe(1);
  });

  it('a device cannot send as another device; an unknown device cannot open a session; revocation closes sessions', async () => {
    const { app, admin, device, deps, security } = await secureApp();
    const r1 = device('r-1', 1);
    await r1.enroll();
    await app.inject({ method: 'POST', url: '/api/v1/devices/r-1/approve', headers: admin });
    await expect(r1.sendEvents([robotEvent('r-2', 0)])).rejects.toMatchObject({ code: 'IPQ-P006' });
    expect(await deps.store.countEvents()).toBe(0);
    await expect(device('ghost', 9).connect()).rejects.toMatchObject({ code: 'IPQ-P006' });

    const revoke = await app.inject({ method: 'POST', url: '/api/v1/devices/r-1/revoke', headers: admin });
    expect(revoke.json()).toMatchObject({ status: 'revoked' });
    expect(security.channel.sessionCount).toBe(0);
    await expect(r1.sendEvents([robotEvent('r-1', 2)])).rejects.toMatchObject({ code: 'IPQ-P006' });
    // Another key under the same id while approved is a conflict; a revoked id may enroll again (pending).
    const other = device('r-1', 7);
    expect((await other.enroll()).status).toBe('pending');
    const r3 = device('r-3', 3);
    await r3.enroll();
    await expect(device('r-3', 4).enroll()).rejects.toMatchObject({ code: 'IPQ-P009' });
  });

  it('a replayed or tampered envelope is refused with a counted reason and stores nothing; the session keeps working', async () => {
    const { app, admin, device, deps, security } = await secureApp();
    const r1 = device('r-1', 1);
    await r1.enroll();
    await app.inject({ method: 'POST', url: '/api/v1/devices/r-1/approve', headers: admin });
    const keys = await r1.fetchServerKeys();
    const client = new ChannelClient({ provider: p, deviceId: 'r-1', identity: p.mlDsaKeygen(new Uint8Array(32).fill(1)), serverKeys: keys });
    const accept = await app.inject({ method: 'POST', url: '/api/v1/sessions', headers: { 'content-type': ENVELOPE }, payload: Buffer.from(client.hello()) });
    expect(accept.statusCode).toBe(200);
    client.accept(new Uint8Array(accept.rawPayload));
    const send = (env: Uint8Array) => app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': ENVELOPE }, payload: Buffer.from(env) });
    const env = client.seal(new TextEncoder().encode(JSON.stringify([robotEvent('r-1', 0)])));
    const ok = await send(env);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toContain(ENVELOPE);
    const replay = await send(env);
    expect(replay.statusCode).toBe(400);
    expect(replay.json()).toMatchObject({ error: { code: 'IPQ-P005', reason: 'replay' } });
    const tampered = client.seal(new TextEncoder().encode(JSON.stringify([robotEvent('r-1', 1)])));
    tampered[tampered.length - 1]! ^= 1;
    const bad = await send(tampered);
    expect(bad.json()).toMatchObject({ error: { code: 'IPQ-P005', reason: 'auth_failed' } });
    expect(security.channel.rejections.replay).toBe(1);
    expect(security.channel.rejections.auth_failed).toBe(1);
    expect(await deps.store.countEvents()).toBe(1);
    const next = await send(client.seal(new TextEncoder().encode(JSON.stringify([robotEvent('r-1', 2)]))));
    expect(next.statusCode).toBe(200);
    expect(await deps.store.countEvents()).toBe(2);
    const metrics = await app.inject({ url: '/api/v1/metrics', headers: admin });
    expect(metrics.body).toMatch(/ipqsec_channel_rejected_total\{reason="replay"\} 1/);
  });

  it('property: random or truncated envelopes to /sessions and /events never get a 5xx and store nothing', async () => {
    const { app, deps } = await secureApp();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 6000 }), fc.constantFrom('/api/v1/sessions', '/api/v1/events'), async (bytes, url) => {
        const r = await app.inject({ method: 'POST', url, headers: { 'content-type': ENVELOPE }, payload: Buffer.from(bytes) });
        expect(r.statusCode).toBeGreaterThanOrEqual(400);
        expect(r.statusCode).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
    expect(await deps.store.countEvents()).toBe(0);
  });

  it('an envelope body on /events without a token is not a way around authentication for plain JSON', async () => {
    const { app } = await secureApp();
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': 'application/json' }, payload: JSON.stringify([robotEvent('r-1', 0)]) });
    expect(r.statusCode).toBe(401);
    const e = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': ENVELOPE }, payload: JSON.stringify([robotEvent('r-1', 0)]) });
    expect(e.statusCode).toBe(400);
    expect(e.json()).toMatchObject({ error: { code: 'IPQ-P005' } });
  });
});

describe('tamper-evident log through the server', () => {
  it('alerts, list changes, enrollments and key changes are appended; checkpoints verify; proofs check out', async () => {
    const { app, admin, security, device, tokenWith } = await secureApp();
    // An attack: a port scan from one source (network-rules: 20+ distinct ports in the window).
    const flows = Array.from({ length: 40 }, (_, i) => ({ type: 'flow', ts: T0 / 1000 + i * 0.1, orig_h: '10.9.9.9', orig_p: 40000 + i, resp_h: '10.0.0.1', resp_p: 1 + i, proto: 'tcp', conn_state: 'REJ' }));
    const ing = await tokenWith(['ingest']);
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { authorization: `Bearer ${ing}` }, payload: flows });
    expect(r.statusCode).toBe(200);
    const alertIds = (r.json() as { results: { alerts: { id: string }[] }[] }).results.flatMap((x) => x.alerts.map((a) => a.id));
    expect(alertIds.length).toBeGreaterThan(0);
    await app.inject({ method: 'POST', url: '/api/v1/lists/block', headers: admin, payload: { entity: 'ip:10.9.9.9', reason: 'scanner' } });
    const d = device('r-1', 1);
    await d.enroll();
    await app.inject({ method: 'POST', url: '/api/v1/devices/r-1/approve', headers: admin });

    const cp = await security.audit.checkpointNow();
    expect(cp).toBeDefined();
    const key = (await app.inject({ url: '/api/v1/log/key' })).json() as { vkey: string; origin: string };
    const logVerifier = verifierFromKey(p, key.vkey, 'log');
    const note = (await app.inject({ url: '/api/v1/log/checkpoint' })).body;
    const opened = openCheckpoint(note, logVerifier);
    const size = opened.checkpoint.size;

    const entries = (await app.inject({ url: `/api/v1/log/entries?start=0&end=${size}`, headers: admin })).json() as { entries: { index: number; data: string }[] };
    expect(entries.entries.map((e) => e.index)).toEqual([...Array(size).keys()]);
    const decoded = entries.entries.map((e) => decodeLogEntry(new Uint8Array(Buffer.from(e.data, 'base64'))));
    const kinds = decoded.map((e) => e.kind);
    // Key entries first (created at open), then the alerts of the batch, the operator's block, the enrollment and approval.
    expect(kinds.slice(0, 2)).toEqual(['key', 'key']);
    expect(decoded.filter((e) => e.kind === 'alert').map((e) => (e.data as { alert_id: string }).alert_id)).toEqual(alertIds);
    expect(decoded.some((e) => e.kind === 'list' && e.subject === 'ip:10.9.9.9' && (e.data as { op: string }).op === 'put')).toBe(true);
    expect(decoded.filter((e) => e.kind === 'enrollment').map((e) => (e.data as { op: string }).op)).toEqual(['enroll', 'approve']);

    // Every entry's inclusion proof leads to the signed root (verifier code path independent of the tree).
    for (const e of entries.entries) {
      const proof = (await app.inject({ url: `/api/v1/log/proof/inclusion?index=${e.index}&size=${size}` })).json() as { leaf_hash: string; proof: string[] };
      const leaf = leafHash(new Uint8Array(Buffer.from(e.data, 'base64')));
      expect(Buffer.from(proof.leaf_hash, 'base64')).toEqual(Buffer.from(leaf));
      const root = rootFromInclusionProof(leaf, e.index, size, proof.proof.map((b) => new Uint8Array(Buffer.from(b, 'base64'))));
      expect(root && Buffer.from(root)).toEqual(Buffer.from(opened.checkpoint.rootHash));
    }
    // Out of range is 400 IPQ-L005.
    const bad = await app.inject({ url: `/api/v1/log/proof/inclusion?index=${size}&size=${size}` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'IPQ-L005' } });
    // Entries need a token; proofs and checkpoints do not.
    expect((await app.inject({ url: '/api/v1/log/entries?start=0&end=1' })).statusCode).toBe(401);

    // More entries, a second checkpoint, consistency between them.
    await app.inject({ method: 'DELETE', url: '/api/v1/lists/block/ip%3A10.9.9.9', headers: admin });
    const cp2 = await security.audit.checkpointNow();
    expect(cp2!.size).toBe(size + 1);
    const cons = (await app.inject({ url: `/api/v1/log/proof/consistency?old=${size}&new=${cp2!.size}` })).json() as { proof: string[] };
    const root2 = openCheckpoint(cp2!.note, logVerifier).checkpoint.rootHash;
    expect(verifyConsistency(size, cp2!.size, opened.checkpoint.rootHash, root2, cons.proof.map((b) => new Uint8Array(Buffer.from(b, 'base64'))))).toBe(true);
    const all = (await app.inject({ url: '/api/v1/log/checkpoints?limit=1000' })).json() as { checkpoints: { size: number }[]; next_start: number | null };
    expect(all.checkpoints.map((c) => c.size)).toEqual([size, size + 1]);
    expect(all.next_start).toBeNull();
    const page = (await app.inject({ url: '/api/v1/log/checkpoints?limit=1' })).json() as { checkpoints: { size: number }[]; next_start: number | null };
    expect(page).toMatchObject({ checkpoints: [{ size }], next_start: size + 1 });
  });

  it('witness cosignatures: a configured witness is accepted and published; an unknown one is refused', async () => {
    const witnessKey = p.mlDsaKeygen(new Uint8Array(32).fill(0x33));
    const { app, security } = await secureApp([{ name: 'witness.test', publicKey: witnessKey.publicKey }]);
    await security.audit.append([{ v: 1, kind: 'model', ts_ms: T0, subject: 'flow-model', data: { op: 'loaded' } }]);
    const cp = (await security.audit.checkpointNow())!;
    const body = parseNote(cp.note).text;
    const cosign = (kp: typeof witnessKey, name: string) => {
      const signer = mlDsaCosigner(p, name, kp, () => T0);
      return formatSignatureLine({ name, keyId: signer.keyId, signature: signer.sign(new TextEncoder().encode(body)) });
    };
    const good = await app.inject({ method: 'POST', url: '/api/v1/log/cosignatures', payload: { size: cp.size, cosignature: cosign(witnessKey, 'witness.test') } });
    expect(good.statusCode).toBe(204);
    const stranger = await app.inject({ method: 'POST', url: '/api/v1/log/cosignatures', payload: { size: cp.size, cosignature: cosign(p.mlDsaKeygen(new Uint8Array(32).fill(0x44)), 'witness.test') } });
    expect(stranger.statusCode).toBe(400);
    expect(stranger.json()).toMatchObject({ error: { code: 'IPQ-L006' } });
    const wrongSize = await app.inject({ method: 'POST', url: '/api/v1/log/cosignatures', payload: { size: cp.size + 5, cosignature: cosign(witnessKey, 'witness.test') } });
    expect(wrongSize.json()).toMatchObject({ error: { code: 'IPQ-L006' } });
    const published = (await app.inject({ url: '/api/v1/log/checkpoint' })).body;
    const key = (await app.inject({ url: '/api/v1/log/key' })).json() as { vkey: string };
    const v = openCheckpoint(published, verifierFromKey(p, key.vkey, 'log'), {
      witnesses: [verifierFromKey(p, (await import('../ledger/cosignature.js')).cosignerVerifierKey('witness.test', witnessKey.publicKey), 'cosigner')],
    });
    expect(v.witnesses).toEqual(['witness.test']);
  });
});

describe('OpenAPI with the post-quantum routes', () => {
  it('lists every route with a summary and errors; exactly the public ones declare no security', async () => {
    const { app } = await secureApp();
    const doc = (await app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, { summary?: string; security?: unknown[]; responses: Record<string, unknown> }>> };
    const PUBLIC = new Set([
      'get /api/v1/health',
      'get /api/v1/log/key',
      'get /api/v1/log/checkpoint',
      'get /api/v1/log/checkpoints',
      'get /api/v1/log/proof/inclusion',
      'get /api/v1/log/proof/consistency',
      'post /api/v1/log/cosignatures',
      'get /api/v1/pqc/server-keys',
      'post /api/v1/sessions',
    ]);
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => ({ id: `${m} ${path}`, op })));
    for (const id of [...PUBLIC, 'get /api/v1/log/entries', 'post /api/v1/devices', 'get /api/v1/devices', 'post /api/v1/devices/{id}/approve', 'post /api/v1/devices/{id}/revoke']) {
      expect(ops.map((o) => o.id)).toContain(id);
    }
    for (const { id, op } of ops) {
      expect(op.summary, id).toBeTruthy();
      expect(op.responses['4XX'], id).toBeDefined();
      if (PUBLIC.has(id)) expect(op.security, id).toEqual([]);
      else expect(op.security, id).toBeUndefined();
    }
    // And the server agrees: every public route answers without a token (not 401).
    for (const id of PUBLIC) {
      const [method, path] = id.split(' ') as ['get' | 'post', string];
      const r = await app.inject({ method: method.toUpperCase() as 'GET' | 'POST', url: path.replace('{id}', 'x') });
      expect(r.statusCode, id).not.toBe(401);
    }
  });
});
