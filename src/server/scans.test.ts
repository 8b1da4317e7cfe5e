import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseScanConfig } from '../scan/scan-config.js';
import type { ScanReport } from '../scan/scan-report.js';
import { ScanService, type ScanRunner } from '../service/scan-service.js';
import { buildApp } from './app.js';
import { bearer, createTestApp, createTestDeps, TEST_ADMIN_TOKEN } from './_test-deps.js';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

/** A report of each target address with one open port, finished at the clock's time. */
const fixedRunner =
  (now: () => number): ScanRunner =>
  async (o): Promise<ScanReport> => ({
    hosts: o.targets.map((address) => ({
      address,
      hostnames: [],
      status: 'up' as const,
      started_ms: now() - 1000,
      finished_ms: now(),
      ports: [{ port: 6379, proto: 'tcp' as const, state: 'open', service: 'redis', product: 'Redis key-value store', version: '7.0.15', cpe: ['cpe:2.3:a:redis:redis:7.0.15:*:*:*:*:*:*:*'], cves: [] }],
    })),
    errors: [],
  });

/**
 * createTestApp's wiring (_test-deps.ts: real in-memory store, real Monitor) plus a ScanService over them whose
 * runner returns fixed reports (the nmap runner is tested in scan/). Host names resolve through a fixed table
 * (`localhost` → 127.0.0.1) so that random host names never reach DNS.
 */
async function appWithScans(o: { maxQueued?: number; runner?: ScanRunner } = {}) {
  let now = T0;
  const deps = await createTestDeps();
  const scans = new ScanService({
    store: deps.store,
    findings: deps.monitor,
    runner: o.runner ?? fixedRunner(() => now),
    config: parseScanConfig({ deny: ['127.0.0.9'] }, 'test'),
    nowMs: () => now,
    newId: (() => {
      let n = 0;
      return () => `scan-${String(++n).padStart(6, '0')}`;
    })(),
    resolve: async (name) => {
      if (name === 'localhost') return ['127.0.0.1'];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    },
    ...(o.maxQueued === undefined ? {} : { maxQueued: o.maxQueued }),
  });
  let n = 0;
  const app = await buildApp({ ...deps, scans }, { newId: () => `id-${String(++n).padStart(6, '0')}`, version: '0.0.0-test', nowMs: () => now });
  app.addHook('onClose', async () => {
    await scans.close();
    await deps.close();
  });
  onTestFinished(() => app.close());
  const admin = bearer(TEST_ADMIN_TOKEN);
  const tokenWith = async (scopes: string[]): Promise<{ authorization: string }> => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: admin, payload: { name: `t ${scopes.join('+')}`, scopes } });
    return bearer((r.json() as { token: string }).token);
  };
  return { app, deps, scans, admin, tokenWith, tick: (ms: number) => (now += ms) };
}

describe('POST /api/v1/scans, GET /api/v1/scans[/:id]', () => {
  it('admin starts a scan (202 queued); read lists it and reads it done with its report and diffs', async () => {
    const t = await appWithScans();
    const read = await t.tokenWith(['read']);
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.admin, payload: { targets: ['127.0.0.1', 'localhost'], ports: '6379' } });
    expect(r.statusCode).toBe(202);
    const queued = r.json();
    expect(queued).toMatchObject({ id: 'scan-000001', status: 'queued', requested_by: 'admin (IPQSEC_ADMIN_TOKEN)', targets: ['127.0.0.1', 'localhost'], ports: '6379', created_ms: T0, started_ms: null, report: null, diffs: null });
    await t.scans.whenIdle();

    const one = await t.app.inject({ method: 'GET', url: `/api/v1/scans/${queued.id}`, headers: read });
    expect(one.statusCode).toBe(200);
    const done = one.json();
    expect(done.status).toBe('done');
    expect(done.report.hosts.map((h: { address: string }) => h.address)).toEqual(['127.0.0.1', 'localhost']);
    expect(done.report.hosts[0].ports[0]).toEqual({ port: 6379, proto: 'tcp', state: 'open', service: 'redis', product: 'Redis key-value store', version: '7.0.15', cpe: ['cpe:2.3:a:redis:redis:7.0.15:*:*:*:*:*:*:*'], cves: [] });
    expect(done.diffs[0]).toEqual({ address: '127.0.0.1', first_scan: true, opened: [{ port: 6379, proto: 'tcp' }], closed: [], cves_new: [], cves_gone: [] });

    t.tick(60_000);
    await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.admin, payload: { targets: ['::1'] } });
    await t.scans.whenIdle();
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/scans?limit=1', headers: read });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((s: { id: string; ports: string }) => [s.id, s.ports])).toEqual([['scan-000002', 'top-1000']]);
    const next = await t.app.inject({ method: 'GET', url: `/api/v1/scans?limit=1&cursor=${encodeURIComponent(list.json().next_cursor)}`, headers: read });
    expect(next.json().items.map((s: { id: string }) => s.id)).toEqual(['scan-000001']);
    expect(next.json().next_cursor).toBeNull();
  });

  it('scopes: read cannot start a scan, ingest cannot read scans, no token is 401', async () => {
    const t = await appWithScans();
    const read = await t.tokenWith(['read']);
    const ingest = await t.tokenWith(['ingest']);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: read, payload: { targets: ['127.0.0.1'] } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/scans', headers: ingest })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/scans' })).statusCode).toBe(401);
    expect((await t.scans.list({ limit: 10 })).items).toEqual([]);
  });

  it('out of scope: 400 IPQ-V004 naming the rule; invalid target: 400 IPQ-V005; unknown id: 404 IPQ-E005', async () => {
    const t = await appWithScans();
    const outside = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.admin, payload: { targets: ['192.168.1.1'] } });
    expect(outside.statusCode).toBe(400);
    expect(outside.json().error.code).toBe('IPQ-V004');
    expect(outside.json().error.message).toMatch(/allowlist 127\.0\.0\.0\/8, ::1\/128/);
    const denied = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.admin, payload: { targets: ['127.0.0.9'] } });
    expect(denied.json().error.message).toMatch(/deny 127\.0\.0\.9\/32/);
    for (const target of ['127.0.0.1 -oN /tmp/x', '--script=http-title', '-iL', '127.0.0.1;id']) {
      const bad = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.admin, payload: { targets: [target] } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('IPQ-V005');
    }
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/scans/nope', headers: t.admin });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('IPQ-E005');
    expect((await t.scans.list({ limit: 10 })).items).toEqual([]);
  });

  it('a full queue is 503 IPQ-S005 with Retry-After', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = await appWithScans({
      maxQueued: 1,
      runner: async () => {
        await gate;
        return { hosts: [], errors: [] };
      },
    });
    const post = () => t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: t.admin, payload: { targets: ['127.0.0.1'] } });
    expect((await post()).statusCode).toBe(202); // running
    expect((await post()).statusCode).toBe(202); // queued
    const full = await post();
    expect(full.statusCode).toBe(503);
    expect(full.json().error.code).toBe('IPQ-S005');
    expect(full.headers['retry-after']).toBe('1');
    release();
    await t.scans.whenIdle();
  });

  it('any body: a bad shape is 400 IPQ-E004 naming body fields; a good shape is 202 or 400 IPQ-V004/V005, never 5xx', async () => {
    const t = await appWithScans();
    const target = fc.oneof(fc.constantFrom('127.0.0.1', '::1', '127.0.0.0/30', 'localhost', '10.0.0.1', 'example.invalid', '-oN', '127.0.0.1;id', '', 'x'.repeat(254)), fc.string({ maxLength: 20 }));
    const goodTarget = fc.constantFrom('127.0.0.1', '::1', '127.0.0.0/30', 'localhost', '127.0.0.2');
    const portsText = fc.oneof(fc.constantFrom('top-100', '22,80', '0', '1-65536', '22-21', '6379'), fc.string({ minLength: 1, maxLength: 10 }));
    const body = fc.oneof(
      // well-shaped, mostly valid: accepted, or refused by the service (bad port list, one bad target)
      fc.record({ targets: fc.array(fc.oneof({ weight: 4, arbitrary: goodTarget }, { weight: 1, arbitrary: target }), { minLength: 1, maxLength: 4 }), ports: portsText }, { requiredKeys: ['targets'] }),
      // anything
      fc.jsonValue(),
      fc.record(
        {
          targets: fc.oneof(fc.array(target, { maxLength: 66 }), fc.jsonValue()),
          ports: fc.oneof(portsText, fc.constant(''), fc.integer()),
          extra: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    );
    const shapeOk = (b: unknown): boolean => {
      if (typeof b !== 'object' || b === null || Array.isArray(b)) return false;
      const o = b as Record<string, unknown>;
      if (Object.keys(o).some((k) => k !== 'targets' && k !== 'ports')) return false;
      if (!Array.isArray(o.targets) || o.targets.length < 1 || o.targets.length > 64) return false;
      if (!o.targets.every((x) => typeof x === 'string' && x.length >= 1 && x.length <= 253)) return false;
      return o.ports === undefined || (typeof o.ports === 'string' && o.ports.length >= 1 && o.ports.length <= 1024);
    };
    const seen = { shape: 0, accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const r = await t.app.inject({ method: 'POST', url: '/api/v1/scans', headers: { ...t.admin, 'content-type': 'application/json' }, payload: JSON.stringify(b) });
        const code = r.json().error?.code;
        if (!shapeOk(b)) {
          seen.shape++;
          expect([r.statusCode, code]).toEqual([400, 'IPQ-E004']);
          expect(r.json().error.issues.length).toBeGreaterThan(0);
          expect(r.json().error.issues.every((i: { path: string }) => i.path.startsWith('body'))).toBe(true);
        } else if (r.statusCode === 202) {
          seen.accepted++;
          expect(r.json().status).toBe('queued');
          await t.scans.whenIdle();
        } else {
          seen.refused++;
          expect(r.statusCode).toBe(400);
          expect(['IPQ-V004', 'IPQ-V005']).toContain(code);
        }
      }),
      { numRuns: 150 },
    );
    // Every branch was exercised (the property is not vacuous).
    expect(seen.shape).toBeGreaterThan(0);
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  it('appears in the OpenAPI document under the scans tag; without a scanner the routes do not exist', async () => {
    const t = await appWithScans();
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.paths['/api/v1/scans'].post.tags).toEqual(['scans']);
    expect(Object.keys(doc.paths['/api/v1/scans'].post.responses)).toContain('202');
    expect(doc.paths['/api/v1/scans/{id}'].get.tags).toEqual(['scans']);

    const plain = await createTestApp();
    const r = await plain.app.inject({ method: 'GET', url: '/api/v1/scans', headers: plain.admin });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('IPQ-E005');
  });
});
