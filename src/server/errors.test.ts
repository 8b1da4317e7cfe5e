import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, IpqsecError, type ErrorCode } from '../core/errors.js';
import { TEST_ADMIN_TOKEN, bearer, createTestApp, interceptStore } from './_test-deps.js';
import { httpStatusOf, mapError } from './errors.js';
import { parseNdjson } from './ndjson.js';

/** Asserts the one error body shape: code from the catalogue with its own title and hint. */
function expectErrorShape(status: number, body: string, where: string): void {
  let parsed: unknown;
  expect(() => (parsed = JSON.parse(body)), `${where}: body is JSON`).not.toThrow();
  const err = (parsed as { error?: Record<string, unknown> }).error;
  expect(err, `${where}: ${body}`).toBeDefined();
  const code = err!.code as ErrorCode;
  expect(Object.keys(ERROR_CATALOGUE), where).toContain(code);
  expect(err!.title).toBe(ERROR_CATALOGUE[code].title);
  expect(err!.hint).toBe(ERROR_CATALOGUE[code].hint);
  expect(typeof err!.message).toBe('string');
  // Statuses that refine a code's default: 415 (media type, E003) and 414 (URI too long, E004).
  const refined = (code === 'IPQ-E003' && status === 415) || (code === 'IPQ-E004' && status === 414);
  expect(status, where).toBe(refined ? status : httpStatusOf(code));
}

describe('status mapping', () => {
  it('maps the catalogue codes of the API to their statuses', () => {
    const expected: [ErrorCode, number][] = [
      ['IPQ-E001', 400],
      ['IPQ-E002', 413],
      ['IPQ-E003', 400],
      ['IPQ-E004', 400],
      ['IPQ-E005', 404],
      ['IPQ-A001', 401],
      ['IPQ-A002', 403],
      ['IPQ-S001', 503],
      ['IPQ-S005', 503],
      ['IPQ-X001', 500],
      ['IPQ-X002', 500],
    ];
    for (const [code, status] of expected) expect(httpStatusOf(code), code).toBe(status);
  });

  it('every catalogue code maps to a 4xx or 5xx by its kind', () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE) as [ErrorCode, { kind: string }][]) {
      const s = httpStatusOf(code);
      if (spec.kind === 'input') expect(s, code).toBeGreaterThanOrEqual(400);
      if (spec.kind === 'input') expect(s, code).toBeLessThan(500);
      else expect(s, code).toBeGreaterThanOrEqual(500);
    }
  });

  it('passes event issues through and hides internal errors', () => {
    const e = new IpqsecError('IPQ-E001', 'x', { details: { issues: [{ index: 3, path: 'ts', message: 'bad' }], failed: 1 } });
    expect(mapError(e).body.error.issues).toEqual([{ index: 3, path: 'ts', message: 'bad' }]);
    const internal = mapError(new TypeError('cannot read properties of undefined (secret detail)'));
    expect(internal.status).toBe(500);
    expect(internal.internal).toBe(true);
    expect(JSON.stringify(internal.body)).not.toContain('secret detail');
  });
});

describe('NDJSON parser', () => {
  it('returns one value per non-blank line, in order', () => {
    expect(parseNdjson('1\n"a"\r\n\n  \n{"b":[2]}\n', 10)).toEqual([1, 'a', { b: [2] }]);
    expect(parseNdjson('', 10)).toEqual([]);
    expect(parseNdjson('\n\n', 10)).toEqual([]);
  });

  it('names the 1-based line of a bad line (blank lines counted)', () => {
    try {
      parseNdjson('{"a":1}\n\n{"a":\n', 10);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IpqsecError);
      expect((e as IpqsecError).code).toBe('IPQ-E003');
      expect((e as IpqsecError).location?.line).toBe(3);
    }
  });

  it('refuses more than maxItems values with IPQ-E002', () => {
    expect(() => parseNdjson('1\n2\n3', 2)).toThrow(expect.objectContaining({ code: 'IPQ-E002' }));
    expect(parseNdjson('1\n2\n', 2)).toEqual([1, 2]);
  });
});

describe('faults', () => {
  it('a failing store is 503 IPQ-S001 (reads and ingest); health reports unavailable; service resumes after', async () => {
    // Fault injection on the real SQLite store: every call rejects as the store does when its database fails.
    let failing = false;
    const { app, tokenWith } = await createTestApp({}, {
      store: (real) =>
        interceptStore(real, (method) => {
          if (failing) throw new IpqsecError('IPQ-S001', `injected failure of ${method}`);
        }),
    });
    const ingest = bearer(await tokenWith(['ingest']));
    try {
      failing = true;
      // The admin token lookup itself fails: still a 503, not a 401 or 500.
      const r = await app.inject({ method: 'GET', url: '/api/v1/events', headers: bearer(TEST_ADMIN_TOKEN) });
      expect(r.statusCode).toBe(503);
      expectErrorShape(r.statusCode, r.body, 'store failure');
      expect(r.json().error.code).toBe('IPQ-S001');
      // The ingest token is cached: the Monitor's commit fails, and the batch is refused.
      const ev = { type: 'robot', id: 'ev-f', timestamp: 1_714_564_800, ip: '10.0.0.5', robot_id: 'r-1', task: 'pick', ports_accessed: [443] };
      const w = await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: [ev] });
      expect(w.statusCode).toBe(503);
      expectErrorShape(w.statusCode, w.body, 'ingest with store failure');
      const h = await app.inject({ method: 'GET', url: '/api/v1/health' });
      expect(h.statusCode).toBe(503);
      expect(h.json().status).toBe('unavailable');
    } finally {
      failing = false;
    }
    const h = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(h.json()).toMatchObject({ status: 'ok', events_stored: 0 });
  });

  it('an unexpected exception is a 500 in the error shape, logged, without its message', async () => {
    const logged: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const { app, admin } = await createTestApp({}, {
      log: (level, msg, fields) => logged.push({ level, msg, fields }),
      store: (real) =>
        interceptStore(real, (method) => {
          if (method === 'listAlerts') throw new RangeError('internal detail 42');
        }),
    });
    const r = await app.inject({ method: 'GET', url: '/api/v1/alerts', headers: admin });
    expect(r.statusCode).toBe(500);
    expect(r.body).not.toContain('internal detail 42');
    expectErrorShape(r.statusCode, r.body, 'internal error');
    expect(r.json().error.code).toBe('IPQ-X002');
    expect(logged.some((l) => l.level === 'error' && String(l.fields?.error).includes('internal detail 42'))).toBe(true);
  });

  it('unknown routes are 404 IPQ-E005 (after authentication under /api/)', async () => {
    const { app, admin } = await createTestApp();
    expect((await app.inject({ method: 'GET', url: '/api/v1/nothing' })).statusCode).toBe(401);
    const r = await app.inject({ method: 'GET', url: '/api/v1/nothing', headers: admin });
    expect(r.statusCode).toBe(404);
    expectErrorShape(r.statusCode, r.body, '404');
    const outside = await app.inject({ method: 'GET', url: '/favicon.ico' });
    expect(outside.statusCode).toBe(404);
    expectErrorShape(outside.statusCode, outside.body, '404 outside');
  });
});

describe('properties: arbitrary input never causes a 5xx', () => {
  const contentTypes = fc.oneof(
    { arbitrary: fc.constantFrom('application/json', 'application/x-ndjson', 'application/json; charset=utf-8'), weight: 6 },
    { arbitrary: fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/x-www-form-urlencoded'), weight: 2 },
    { arbitrary: fc.stringMatching(/^[a-z]{1,10}\/[a-z0-9.+-]{1,15}$/), weight: 1 },
  );
  // Valid robot reports with some fields replaced by arbitrary JSON: mostly schema errors, some valid batches.
  const robot = { type: 'robot', timestamp: 1_714_564_800, ip: '10.0.0.5', robot_id: 'r-1', task: 'pick', ports_accessed: [443] };
  const mutated = fc.record({ field: fc.constantFrom('type', 'timestamp', 'ip', 'robot_id', 'task', 'ports_accessed', 'id', 'extra'), value: fc.jsonValue(), keep: fc.boolean() }).map(({ field, value, keep }) => (keep ? robot : { ...robot, [field]: value }));
  const eventArrays = fc.array(mutated, { maxLength: 6 });
  const bodies = fc.oneof(
    eventArrays.map((a) => JSON.stringify(a)),
    eventArrays.map((a) => a.map((e) => JSON.stringify(e)).join('\n')),
    fc.json(),
    fc.anything().map((v) => {
      try {
        return JSON.stringify(v) ?? 'null';
      } catch {
        return 'null';
      }
    }),
    fc.string(),
    fc.array(fc.json(), { maxLength: 5 }).map((a) => a.join('\n')),
    fc.array(fc.jsonValue(), { maxLength: 5 }).map((a) => JSON.stringify(a)),
  );

  it('POST /events and /events/predict answer < 500 in the error shape or 200', async () => {
    const { app } = await createTestApp({ bodyLimitBytes: 64 * 1024 });
    const headers = bearer(TEST_ADMIN_TOKEN);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/v1/events', '/api/v1/events/predict'), contentTypes, bodies, async (url, ct, payload) => {
        const r = await app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': ct }, payload });
        expect(r.statusCode, `${ct} ${payload.slice(0, 80)}`).toBeLessThan(500);
        if (r.statusCode !== 200) expectErrorShape(r.statusCode, r.body, `${url} ${ct}`);
      }),
      { numRuns: 300, seed: 20240501 },
    );
  });

  it('POST /lists/:list answers < 500 in the error shape or 201', async () => {
    const { app } = await createTestApp();
    const headers = bearer(TEST_ADMIN_TOKEN);
    const entries = fc.record({ entity: fc.oneof(fc.string(), fc.string().map((s) => `ip:${s}`), fc.jsonValue()), reason: fc.oneof(fc.string(), fc.jsonValue()) }, { requiredKeys: [] }).map((o) => JSON.stringify(o));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom('allow', 'block'), fc.string({ maxLength: 8 }).map(encodeURIComponent)), contentTypes, fc.oneof(bodies, entries), async (list, ct, payload) => {
        const r = await app.inject({ method: 'POST', url: `/api/v1/lists/${list}`, headers: { ...headers, 'content-type': ct }, payload });
        expect(r.statusCode, `${list} ${ct} ${payload.slice(0, 80)}`).toBeLessThan(500);
        if (r.statusCode !== 201) expectErrorShape(r.statusCode, r.body, `lists ${ct}`);
      }),
      { numRuns: 300, seed: 20240502 },
    );
  });

  it('arbitrary path parameters (bad %-encoding, over-long, any text) answer < 500 in the error shape or 200', async () => {
    const { app } = await createTestApp();
    const headers = bearer(TEST_ADMIN_TOKEN);
    const segment = fc.oneof(
      fc.string().map(encodeURIComponent),
      fc.constantFrom('%', '%E0%A4%A', '%zz', 'a'.repeat(3000), '%2F%2F', '..', '%00'),
      fc.stringMatching(/^[A-Za-z0-9%._~:-]{0,40}$/),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/v1/entities/', '/api/v1/alerts/', '/api/v1/lists/block/'), segment, async (prefix, seg) => {
        const method = prefix.startsWith('/api/v1/lists') ? 'DELETE' : 'GET';
        const r = await app.inject({ method, url: prefix + seg, headers });
        expect(r.statusCode, prefix + seg.slice(0, 60)).toBeLessThan(500);
        if (r.statusCode >= 300) expectErrorShape(r.statusCode, r.body, prefix + seg.slice(0, 60));
      }),
      { numRuns: 200, seed: 20240504 },
    );
  });

  it('GET query strings of arbitrary text answer < 500 in the error shape or 200', async () => {
    const { app } = await createTestApp();
    const headers = bearer(TEST_ADMIN_TOKEN);
    const key = fc.constantFrom('limit', 'cursor', 'since', 'min_risk', 'type', 'entity', 'acked', 'kind', 'x');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/v1/events', '/api/v1/alerts', '/api/v1/entities'), fc.array(fc.tuple(key, fc.string()), { maxLength: 3 }), async (path, pairs) => {
        const qs = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
        const r = await app.inject({ method: 'GET', url: `${path}?${qs}`, headers });
        expect(r.statusCode, `${path}?${qs}`).toBeLessThan(500);
        if (r.statusCode !== 200) expectErrorShape(r.statusCode, r.body, `${path}?${qs}`);
      }),
      { numRuns: 200, seed: 20240503 },
    );
  });
});
