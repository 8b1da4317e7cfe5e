import { describe, expect, it } from 'vitest';
import { bearer, createTestApp } from './_test-deps.js';

const T0 = 1_714_564_800; // 2024-05-01T12:00:00Z in epoch seconds

const robot = (i: number, over: Record<string, unknown> = {}) => ({
  type: 'robot',
  id: `r-ev-${String(i).padStart(4, '0')}`,
  timestamp: T0 + i,
  ip: `10.0.0.${(i % 200) + 1}`,
  robot_id: `r-${i % 5}`,
  task: 'pick',
  ports_accessed: [443],
  ...over,
});
const sensor = (i: number) => ({ type: 'sensor', ts: new Date((T0 + i) * 1000).toISOString(), site: 'plant-1', sensor_id: `t-${i}`, kind: 'temperature', value: 21.5, unit: 'C' });
const flow = (i: number) => ({ type: 'flow', ts: T0 + i, orig_h: '192.168.1.7', orig_p: 50000 + i, resp_h: '192.168.1.1', resp_p: 443, proto: 'tcp' });

async function setup(opts: Parameters<typeof createTestApp>[0] = {}) {
  const t = await createTestApp(opts);
  return { ...t, ingest: bearer(await t.tokenWith(['ingest'])), read: bearer(await t.tokenWith(['read'])) };
}

describe('POST /api/v1/events', () => {
  it('stores a JSON batch and answers one result per event, in order', async () => {
    const { app, ingest, read } = await setup();
    const batch = [robot(1), robot(2, { ports_accessed: [23] }), sensor(3), flow(4)];
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: batch });
    expect(r.statusCode).toBe(200);
    const { results } = r.json();
    expect(results).toHaveLength(4);
    expect(results[0].id).toBe('r-ev-0001');
    expect(results[1].id).toBe('r-ev-0002');
    // Telnet (23) is a suspicious port: one alert on the second event only.
    expect(results[1].alerts).toHaveLength(1);
    expect(results[1].alerts[0].reasons).toContain('Suspicious Port Access');
    expect(results[0].alerts).toHaveLength(0);
    // Events without an id get one from the server.
    expect(results[2].id).toMatch(/\S/);
    const stored = await app.inject({ method: 'GET', url: '/api/v1/events?limit=10', headers: read });
    expect(stored.json().items.map((e: { id: string }) => e.id).sort()).toEqual([...results.map((x: { id: string }) => x.id)].sort());
  });

  it('takes NDJSON (blank lines and CRLF tolerated)', async () => {
    const { app, ingest, read } = await setup();
    const body = `${JSON.stringify(robot(1))}\r\n\n${JSON.stringify(sensor(2))}\n   \n${JSON.stringify(flow(3))}\n`;
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...ingest, 'content-type': 'application/x-ndjson' }, payload: body });
    expect(r.statusCode).toBe(200);
    expect(r.json().results).toHaveLength(3);
    const h = await app.inject({ method: 'GET', url: '/api/v1/health', headers: read });
    expect(h.json().events_stored).toBe(3);
  });

  it('a bad NDJSON line is 400 IPQ-E003 naming its line number, and nothing is stored', async () => {
    const { app, ingest, deps } = await setup();
    const body = [JSON.stringify(robot(1)), JSON.stringify(robot(2)), '{"type": "robot", oops}', JSON.stringify(robot(4))].join('\n');
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...ingest, 'content-type': 'application/x-ndjson' }, payload: body });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('IPQ-E003');
    expect(r.json().error.message).toContain('line 3');
    expect(await deps.store.countEvents()).toBe(0);
  });

  it('one invalid event among valid ones: 400 naming index and field, nothing stored', async () => {
    const { app, ingest, read } = await setup();
    const batch = [robot(0), robot(1), robot(2, { ports_accessed: [70000] }), robot(3), { ...flow(4), resp_h: 'not-an-ip' }];
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: batch });
    expect(r.statusCode).toBe(400);
    const err = r.json().error;
    expect(err.code).toBe('IPQ-E001');
    expect(err.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 2, path: 'ports_accessed.0' }),
        expect.objectContaining({ index: 4, path: 'resp_h' }),
      ]),
    );
    expect(err.issues.every((i: { index: number }) => i.index === 2 || i.index === 4)).toBe(true);
    const stored = await app.inject({ method: 'GET', url: '/api/v1/events', headers: read });
    expect(stored.json().items).toEqual([]);
  });

  it('10,001 events is 413 IPQ-E002 (JSON and NDJSON); 10,000 is accepted', async () => {
    const { app, ingest, deps } = await setup();
    const small = { type: 'sensor', ts: T0, site: 's', sensor_id: 'x', kind: 'other', value: 1, unit: 'u' };
    const over = Array.from({ length: 10_001 }, () => small);
    const j = await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: over });
    expect(j.statusCode).toBe(413);
    expect(j.json().error.code).toBe('IPQ-E002');
    const nd = over.map((e) => JSON.stringify(e)).join('\n');
    const n = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...ingest, 'content-type': 'application/x-ndjson' }, payload: nd });
    expect(n.statusCode).toBe(413);
    expect(n.json().error.code).toBe('IPQ-E002');
    expect(await deps.store.countEvents()).toBe(0);
    const ok = await app.inject({ method: 'POST', url: '/api/v1/events/predict', headers: ingest, payload: over.slice(1) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().results).toHaveLength(10_000);
  });

  it('a body over the limit is 413 IPQ-E002', async () => {
    const { app, ingest } = await setup({ bodyLimitBytes: 1024 });
    const batch = Array.from({ length: 20 }, (_, i) => robot(i));
    expect(JSON.stringify(batch).length).toBeGreaterThan(1024);
    for (const ct of ['application/json', 'application/x-ndjson']) {
      const payload = ct === 'application/json' ? JSON.stringify(batch) : batch.map((e) => JSON.stringify(e)).join('\n');
      const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...ingest, 'content-type': ct }, payload });
      expect(r.statusCode, ct).toBe(413);
      expect(r.json().error.code).toBe('IPQ-E002');
    }
  });

  it('invalid JSON, an empty body and a non-array are 400 IPQ-E003', async () => {
    const { app, ingest } = await setup();
    for (const payload of ['[{"type": "robot",', '', '{"type":"robot"}', '"events"', 'null']) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...ingest, 'content-type': 'application/json' }, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.code).toBe('IPQ-E003');
    }
  });

  it('an unsupported media type is 415 with the error shape', async () => {
    const { app, ingest } = await setup();
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...ingest, 'content-type': 'application/xml' }, payload: '<events/>' });
    expect(r.statusCode).toBe(415);
    expect(r.json().error.code).toBe('IPQ-E003');
  });

  it('an empty array stores nothing and answers no results', async () => {
    const { app, ingest } = await setup();
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: [] });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ results: [] });
  });
});

describe('scoring by the detection engine (rules only, no ML model)', () => {
  // Hand-computed from the documented constants: with no ML score the final risk is the sine-modulated rule
  // score sin²(π·rule/2) plus the recurrence escalation (risk.ts), 0 for an entity's first suspicious event. A robot
  // touching a suspicious port has rule risk robotPortRisk = 0.85 (engine.ts) → sin²(0.425π) = 0.945503 (High,
  // critical: ≥ 0.9); a flow to one, SUSPICIOUS_PORT_SCORE = 0.8 (network-rules.ts) → sin²(0.4π) = 0.904508.
  it('a suspicious port raises one alert with the rule risk; a repeat within 60 s is de-duplicated', async () => {
    const { app, ingest, read } = await setup();
    const rdp = { ...flow(0), id: 'f-rdp', resp_p: 3389 };
    const batch = [robot(1, { ports_accessed: [23] }), rdp, robot(6, { ports_accessed: [23] }), robot(61, { ports_accessed: [23] })];
    // robot(1) and robot(6) are both r-1, 5 s apart; robot(61) is r-1 again, exactly 60 s after robot(1).
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: batch });
    expect(r.statusCode).toBe(200);
    const [tel, flowR, repeat, later] = r.json().results;
    expect(tel).toMatchObject({ risk: 0.945503, risk_class: 'High', alerts: [{ severity: 'critical', reasons: ['Suspicious Port Access'] }] });
    expect(flowR).toMatchObject({ id: 'f-rdp', risk: 0.904508, risk_class: 'High', alerts: [{ severity: 'critical', reasons: ['Suspicious Port Access'] }] });
    expect(repeat.alerts).toEqual([]);
    expect(repeat.risk).toBeGreaterThan(0.945503); // still scored, and escalated by recurrence
    expect(later.alerts).toHaveLength(1);
    const alerts = await app.inject({ method: 'GET', url: '/api/v1/alerts', headers: read });
    expect(alerts.json().items.map((a: { event_id: string }) => a.event_id)).toEqual(['r-ev-0061', 'r-ev-0001', 'f-rdp']);
  });
});

describe('POST /api/v1/events/predict', () => {
  it('scores like ingest but stores nothing (read scope suffices)', async () => {
    const { app, read } = await setup();
    const r = await app.inject({ method: 'POST', url: '/api/v1/events/predict', headers: read, payload: [robot(1, { ports_accessed: [23] })] });
    expect(r.statusCode).toBe(200);
    expect(r.json().results[0].alerts[0].reasons).toContain('Suspicious Port Access');
    const h = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(h.json().events_stored).toBe(0);
    const a = await app.inject({ method: 'GET', url: '/api/v1/alerts', headers: read });
    expect(a.json().items).toEqual([]);
  });
});

describe('GET /api/v1/events', () => {
  it('pages newest first through every event exactly once with cursors', async () => {
    const { app, ingest, read } = await setup();
    const batch = Array.from({ length: 25 }, (_, i) => robot(i));
    expect((await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: batch })).statusCode).toBe(200);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const r = await app.inject({ method: 'GET', url: `/api/v1/events?limit=10${q}`, headers: read });
      expect(r.statusCode).toBe(200);
      const body: { items: { id: string }[]; next_cursor: string | null } = r.json();
      seen.push(...body.items.map((e) => e.id));
      cursor = body.next_cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    // Newest first: robot(i) has timestamp T0 + i.
    expect(seen).toEqual(batch.map((e) => e.id).reverse());
  });

  it('filters by type, entity, since (ISO or epoch seconds) and min_risk', async () => {
    const { app, ingest, read } = await setup();
    const batch = [robot(0), robot(10, { ports_accessed: [23] }), sensor(20), flow(30)];
    await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: batch });
    const ids = async (q: string) => {
      const r = await app.inject({ method: 'GET', url: `/api/v1/events?${q}`, headers: read });
      expect(r.statusCode, `${q}: ${r.body}`).toBe(200);
      return r.json().items.map((e: { type: string; id: string }) => (e.id.startsWith('r-ev') ? e.id : e.type));
    };
    expect(await ids('type=sensor')).toEqual(['sensor']);
    expect(await ids(`entity=${encodeURIComponent('robot:r-0')}`)).toEqual(['r-ev-0010', 'r-ev-0000']);
    expect(await ids(`since=${T0 + 10}`)).toEqual(['flow', 'sensor', 'r-ev-0010']);
    expect(await ids(`since=${encodeURIComponent(new Date((T0 + 20) * 1000).toISOString())}`)).toEqual(['flow', 'sensor']);
    expect(await ids('min_risk=0.7')).toEqual(['r-ev-0010']);
  });

  it('bad query parameters are 400 IPQ-E004 naming each field', async () => {
    const { app, read } = await setup();
    const cases: [string, string][] = [
      ['limit=0', 'querystring.limit'],
      ['limit=1001', 'querystring.limit'],
      ['limit=ten', 'querystring.limit'],
      ['min_risk=1.5', 'querystring.min_risk'],
      ['type=packet', 'querystring.type'],
      ['since=yesterday', 'querystring.since'],
      ['colour=red', 'querystring.colour'],
    ];
    for (const [q, field] of cases) {
      const r = await app.inject({ method: 'GET', url: `/api/v1/events?${q}`, headers: read });
      expect(r.statusCode, q).toBe(400);
      expect(r.json().error.code).toBe('IPQ-E004');
      expect(r.json().error.issues.map((i: { path: string }) => i.path), q).toContain(field);
      expect(r.json().error.message).toContain(field);
    }
    const bad = await app.inject({ method: 'GET', url: '/api/v1/events?cursor=not-a-cursor', headers: read });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('IPQ-E004');
  });
});
