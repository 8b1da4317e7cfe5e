/**
 * The dashboard routes (web-ui.ts) on the real server (createTestApp + app.inject): index.html and hashed assets
 * from a small fixture build with the security and cache headers, the 503 when the build is absent, the API left
 * untouched (auth still guards unknown /api/ paths), no file outside assets/ reachable whatever the path (fast-check),
 * and, when `dist/web` exists, the real Vite build: index.html loads only external scripts, and every file it
 * references is served. Compression (@fastify/compress in the plugin's own scope): assets are sent gzip- or
 * brotli-encoded as Accept-Encoding asks and decode (node:zlib, the oracle) to the file's bytes; small bodies,
 * `identity` and no Accept-Encoding are sent as is; the API (a large JSON page, the OpenAPI document) and the SSE
 * stream are never encoded, and the stream's first bytes arrive before it ends (unbuffered).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN, bearer, createTestApp } from './_test-deps.js';
import { ASSET_CACHE_CONTROL, COMPRESS_THRESHOLD_BYTES, DASHBOARD_CSP, NOT_BUILT_MESSAGE, defaultWebRoot } from './web-ui.js';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-3f2a9c.js"></script></head><body><div id="root"></div></body></html>\n';
const APP_JS = 'document.getElementById("root").textContent = "fixture";\n';
const APP_CSS = 'body { color: #123456; }\n';
const SECRET = 'not-for-the-web-0123456789';
/** Assets above the compression threshold: about 40 kB of script, 3 kB of CSS (distinct lines, so not trivial). */
const BIG_JS = Array.from({ length: 800 }, (_, i) => `export const v${i} = ${(i * 7919) % 10007} + "row ${i}";\n`).join('');
const BIG_CSS = Array.from({ length: 80 }, (_, i) => `.c${i} { margin: ${i}px; }\n`).join('');

let fixture: string;
let empty: string;

beforeAll(() => {
  fixture = mkdtempSync(join(tmpdir(), 'ipqsec-web-'));
  mkdirSync(join(fixture, 'assets'));
  writeFileSync(join(fixture, 'index.html'), INDEX);
  writeFileSync(join(fixture, 'assets', 'app-3f2a9c.js'), APP_JS);
  writeFileSync(join(fixture, 'assets', 'app-77aa01.css'), APP_CSS);
  writeFileSync(join(fixture, 'assets', 'big-5e6f70.js'), BIG_JS);
  writeFileSync(join(fixture, 'assets', 'big-0b1c2d.css'), BIG_CSS);
  // Next to assets/ but outside it: must never be served.
  writeFileSync(join(fixture, 'secret.txt'), SECRET);
  writeFileSync(join(fixture, 'assets', '.env'), SECRET);
  empty = mkdtempSync(join(tmpdir(), 'ipqsec-web-empty-'));
});

afterAll(() => {
  rmSync(fixture, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

async function appWith(root: string) {
  return createTestApp({ webRoot: root });
}

function expectSecurityHeaders(h: Record<string, unknown>): void {
  expect(h['content-security-policy']).toBe(CSP);
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['referrer-policy']).toBe('no-referrer');
}

describe('webUiRoutes on a fixture build', () => {
  it('serves index.html at / and /index.html, not cached without revalidation, with the security headers', async () => {
    const { app } = await appWith(fixture);
    for (const url of ['/', '/index.html']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.body).toBe(INDEX);
      expect(r.headers['cache-control']).toBe('no-cache');
      expectSecurityHeaders(r.headers);
    }
    const head = await app.inject({ method: 'HEAD', url: '/' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(DASHBOARD_CSP).toBe(CSP);
  });

  it('serves hashed assets with a one-year immutable cache and the right media types', async () => {
    const { app } = await appWith(fixture);
    const js = await app.inject({ method: 'GET', url: '/assets/app-3f2a9c.js' });
    expect(js.statusCode).toBe(200);
    expect(js.body).toBe(APP_JS);
    expect(js.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(js.headers['cache-control']).toBe(ASSET_CACHE_CONTROL);
    expect(ASSET_CACHE_CONTROL).toBe('public, max-age=31536000, immutable');
    expectSecurityHeaders(js.headers);
    const css = await app.inject({ method: 'GET', url: '/assets/app-77aa01.css' });
    expect(css.statusCode).toBe(200);
    expect(css.body).toBe(APP_CSS);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['cache-control']).toBe(ASSET_CACHE_CONTROL);
  });

  it('answers 404 (the API error body) for a missing asset and for paths it does not route', async () => {
    const { app } = await appWith(fixture);
    for (const url of ['/assets/nope.js', '/secret.txt', '/assets/.env', '/favicon.ico', '/assets/']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(404);
      expect(r.body, url).not.toContain(SECRET);
    }
    const r = await app.inject({ method: 'GET', url: '/secret.txt' });
    expect(r.json()).toMatchObject({ error: { code: 'IPQ-E005' } });
  });

  it('picks up a rebuild without a restart (index.html and assets are looked up per request)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipqsec-web-rebuild-'));
    try {
      const { app } = await appWith(dir);
      expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(503);
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'index.html'), INDEX);
      writeFileSync(join(dir, 'assets', 'app-3f2a9c.js'), APP_JS);
      expect((await app.inject({ method: 'GET', url: '/' })).body).toBe(INDEX);
      expect((await app.inject({ method: 'GET', url: '/assets/app-3f2a9c.js' })).body).toBe(APP_JS);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves the API alone: health, authenticated routes, and the token check on unknown /api/ paths', async () => {
    const { app, admin } = await appWith(fixture);
    const health = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', version: '0.0.0-test' });
    expect(health.headers['content-security-policy']).toBeUndefined();
    expect((await app.inject({ method: 'GET', url: '/api/v1/alerts' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/v1/alerts', headers: admin })).json()).toEqual({ items: [], next_cursor: null });
    expect((await app.inject({ method: 'GET', url: '/api/v1/no-such-route' })).statusCode).toBe(401);
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/no-such-route', headers: admin });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'IPQ-E005' } });
  });

  it('never serves a file outside assets/ and never answers an /api/ path with the dashboard (property)', async () => {
    const { app } = await appWith(fixture);
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '%2e%2e', '%2E%2E', '..%2f', '%2e%2e%2f', 'secret.txt', 'index.html', 'assets', '.env', '%00', '', 'app-3f2a9c.js', '%252e%252e'),
      fc.stringMatching(/^[A-Za-z0-9._~%-]{1,12}$/),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/assets/', '/api/v1/', '/api/', '/'), fc.array(segment, { minLength: 1, maxLength: 5 }), async (prefix, segs) => {
        const url = prefix + segs.join('/');
        const r = await app.inject({ method: 'GET', url });
        expect(r.body).not.toContain(SECRET);
        // Dot segments are removed before routing (RFC 3986 §5.2.4, as browsers do): judge by the normalised path.
        const path = new URL(`http://ipqsec.test${url}`).pathname;
        if (path.startsWith('/api/')) expect(String(r.headers['content-type'] ?? '')).not.toMatch(/text\/html/);
        if (r.statusCode === 200 && String(r.headers['content-type']).startsWith('text/html')) expect(r.body).toBe(INDEX);
      }),
      { numRuns: 300 },
    );
  });
});

/** Decodes a response body by its Content-Encoding (node:zlib), or returns it as is. */
function decoded(raw: Buffer, encoding: unknown): string {
  if (encoding === 'gzip') return gunzipSync(raw).toString('utf8');
  if (encoding === 'br') return brotliDecompressSync(raw).toString('utf8');
  expect(encoding, 'no other content coding').toBeUndefined();
  return raw.toString('utf8');
}

/** A raw HTTP GET (node:http never decodes bodies): resolves with the response once its head is in. */
function rawGet(base: string, path: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers }, resolve);
    req.on('error', reject);
    req.end();
  });
}

describe('webUiRoutes compression (@fastify/compress in the plugin scope)', () => {
  it('sends assets gzip- or brotli-encoded as Accept-Encoding asks, and they decode to the file', async () => {
    const { app } = await appWith(fixture);
    expect(Buffer.byteLength(BIG_JS)).toBeGreaterThan(COMPRESS_THRESHOLD_BYTES);
    expect(Buffer.byteLength(BIG_CSS)).toBeGreaterThan(COMPRESS_THRESHOLD_BYTES);
    const cases: [string, string, string][] = [
      ['gzip', 'gzip', '/assets/big-5e6f70.js'],
      ['br', 'br', '/assets/big-5e6f70.js'],
      ['gzip, deflate, br, zstd', 'br', '/assets/big-5e6f70.js'], // what Chromium sends: brotli preferred
      ['br;q=0.5, gzip;q=1', 'gzip', '/assets/big-5e6f70.js'],
      ['br;q=0, gzip', 'gzip', '/assets/big-0b1c2d.css'],
      ['gzip', 'gzip', '/assets/big-0b1c2d.css'],
    ];
    for (const [accept, want, url] of cases) {
      const r = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': accept } });
      expect(r.statusCode, `${url} ${accept}`).toBe(200);
      expect(r.headers['content-encoding'], `${url} ${accept}`).toBe(want);
      expect(String(r.headers.vary)).toMatch(/accept-encoding/i);
      expect(r.headers['content-length']).toBeUndefined();
      expect(r.rawPayload.length).toBeLessThan(Buffer.byteLength(url.endsWith('.js') ? BIG_JS : BIG_CSS));
      expect(decoded(r.rawPayload, r.headers['content-encoding'])).toBe(url.endsWith('.js') ? BIG_JS : BIG_CSS);
      expect(r.headers['cache-control']).toBe(ASSET_CACHE_CONTROL);
      expectSecurityHeaders(r.headers);
    }
  });

  it('sends as is without Accept-Encoding, with identity or an unknown coding, and a small index.html', async () => {
    const { app } = await appWith(fixture);
    for (const headers of [{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': 'compress, x-unknown' }, { 'accept-encoding': 'br;q=0, gzip;q=0' }]) {
      const r = await app.inject({ method: 'GET', url: '/assets/big-5e6f70.js', headers });
      expect(r.statusCode, JSON.stringify(headers)).toBe(200);
      expect(r.headers['content-encoding'], JSON.stringify(headers)).toBeUndefined();
      expect(r.body).toBe(BIG_JS);
    }
    // A small body sent from memory (index.html: 643 bytes in a real build) is not worth compressing. Files of
    // assets/ are streamed, their size unknown to the compressor: even a small one is encoded, and decodes to it.
    const small = await app.inject({ method: 'GET', url: '/assets/app-3f2a9c.js', headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBe('gzip');
    expect(decoded(small.rawPayload, 'gzip')).toBe(APP_JS);
    const index = await app.inject({ method: 'GET', url: '/', headers: { 'accept-encoding': 'gzip, br' } });
    expect(index.headers['content-encoding']).toBeUndefined();
    expect(index.body).toBe(INDEX);
  });

  it('ignores Range on assets: the whole file, encoded or not', async () => {
    const { app } = await appWith(fixture);
    for (const enc of ['gzip', 'identity']) {
      const r = await app.inject({ method: 'GET', url: '/assets/big-5e6f70.js', headers: { range: 'bytes=0-99', 'accept-encoding': enc } });
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-range']).toBeUndefined();
      expect(decoded(r.rawPayload, r.headers['content-encoding'])).toBe(BIG_JS);
    }
  });

  it('any Accept-Encoding: either the file as is or a br/gzip body that decodes to it (property)', async () => {
    const { app } = await appWith(fixture);
    const coding = fc.tuple(fc.constantFrom('gzip', 'br', 'deflate', 'identity', 'zstd', '*', 'x-gzip', 'compress', 'GZIP', 'Br'), fc.option(fc.constantFrom('0', '0.1', '0.5', '1', '1.0', '0.001'), { nil: undefined }));
    await fc.assert(
      fc.asyncProperty(fc.array(coding, { maxLength: 4 }), fc.constantFrom('/assets/big-5e6f70.js', '/assets/big-0b1c2d.css'), async (codings, url) => {
        const accept = codings.map(([c, q]) => (q === undefined ? c : `${c};q=${q}`)).join(', ');
        const r = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': accept } });
        expect(r.statusCode).toBe(200);
        const enc = r.headers['content-encoding'];
        expect([undefined, 'gzip', 'br']).toContain(enc);
        expect(decoded(r.rawPayload, enc)).toBe(url.endsWith('.js') ? BIG_JS : BIG_CSS);
      }),
      { numRuns: 150 },
    );
  });

  it('leaves the API uncompressed: health, a large JSON page, the OpenAPI document', async () => {
    const { app, admin } = await appWith(fixture);
    const events = Array.from({ length: 30 }, (_, i) => ({ type: 'robot', id: `ev-${i}`, timestamp: 1_714_564_800 + i, ip: '10.0.0.5', robot_id: `r-${i}`, task: 'pick', ports_accessed: [] }));
    expect((await app.inject({ method: 'POST', url: '/api/v1/events', headers: admin, payload: events })).statusCode).toBe(200);
    const gz = { 'accept-encoding': 'gzip, br' };
    const health = await app.inject({ method: 'GET', url: '/api/v1/health', headers: gz });
    expect(health.statusCode).toBe(200);
    expect(health.headers['content-encoding']).toBeUndefined();
    expect(health.json()).toMatchObject({ status: 'ok' });
    // Bodies well above the threshold, of compressible types: compression anywhere but the dashboard would show here.
    for (const url of ['/api/v1/events?limit=100', '/docs/json']) {
      const r = await app.inject({ method: 'GET', url, headers: { ...admin, ...gz } });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type'], url).toMatch(/json/);
      expect(r.rawPayload.length, url).toBeGreaterThan(4 * COMPRESS_THRESHOLD_BYTES);
      expect(r.headers['content-encoding'], url).toBeUndefined();
      expect(() => JSON.parse(r.body) as unknown, url).not.toThrow();
    }
  });

  it('leaves the SSE stream uncompressed and unbuffered: its first bytes arrive while it stays open', async () => {
    const { app } = await appWith(fixture);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      const res = await rawGet(base, '/api/v1/stream', { ...bearer(TEST_ADMIN_TOKEN), 'accept-encoding': 'gzip, deflate, br' });
      try {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        expect(res.headers['content-encoding']).toBeUndefined();
        // The first chunk is plain SSE text (`retry:` ...), delivered before the stream ends.
        const first = await new Promise<string>((resolve, reject) => {
          res.once('data', (b: Buffer) => resolve(b.toString('utf8')));
          res.once('error', reject);
          res.once('end', () => reject(new Error('stream ended before any data')));
        });
        expect(first).toMatch(/^(retry: \d+|:)/m);
        expect(res.complete).toBe(false);
      } finally {
        res.destroy();
      }
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });
});

describe('webUiRoutes without a build', () => {
  it('answers / with 503 and a plain-text hint', async () => {
    const { app } = await appWith(empty);
    const r = await app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(503);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.body).toBe('dashboard not built: run npm run build');
    expect(NOT_BUILT_MESSAGE).toBe(r.body);
    expect(r.headers['cache-control']).toBe('no-store');
    expectSecurityHeaders(r.headers);
    expect((await app.inject({ method: 'GET', url: '/assets/app.js' })).statusCode).toBe(404);
  });
});

describe('defaultWebRoot', () => {
  it('finds dist/web from the compiled module and from the source module', () => {
    expect(defaultWebRoot('file:///opt/ipqsec/dist/src/server/web-ui.js')).toBe('/opt/ipqsec/dist/web');
    expect(defaultWebRoot('file:///opt/ipqsec/src/server/web-ui.ts')).toBe('/opt/ipqsec/dist/web');
    expect(defaultWebRoot('file:///srv/a%20b/dist/src/server/web-ui.js')).toBe('/srv/a b/dist/web');
  });
});

const realRoot = defaultWebRoot();
const built = existsSync(join(realRoot, 'index.html'));

describe.skipIf(!built)('the real dashboard build (dist/web)', () => {
  it('has no inline script or style in index.html, and every referenced file is served with the headers', async () => {
    const html = readFileSync(join(realRoot, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/assets\/[^"]+\.js"/);
      expect(body.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    const refs = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(refs.some((r) => r.endsWith('.css'))).toBe(true);
    const { app } = await appWith(realRoot);
    const index = await app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toBe(html);
    for (const ref of refs) {
      const r = await app.inject({ method: 'GET', url: ref });
      expect(r.statusCode, ref).toBe(200);
      expect(r.headers['cache-control']).toBe(ASSET_CACHE_CONTROL);
      expectSecurityHeaders(r.headers);
    }
  });
});
if (!built) it.skip(`real build: ${realRoot} has no index.html (run npx vite build --config web/vite.config.ts)`, () => undefined);
