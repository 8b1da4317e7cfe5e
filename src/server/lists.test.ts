import { describe, expect, it } from 'vitest';
import { bearer, createTestApp } from './_test-deps.js';
import { csvField, toCsv } from './csv.js';

describe('CSV (RFC 4180)', () => {
  it('quotes fields with comma, quote, CR or LF and doubles inner quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField('')).toBe('');
  });

  it('neutralises spreadsheet formulas with a leading quote', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@sum')).toBe("'@sum");
  });

  it('ends every row with CRLF', () => {
    expect(toCsv(['a', 'b'], [['1', '2'], ['3', '4']])).toBe('a,b\r\n1,2\r\n3,4\r\n');
  });
});

describe('lists over HTTP', () => {
  it('adds, lists, exports and removes manual entries', async () => {
    let now = Date.UTC(2024, 4, 1, 12, 0, 0);
    const { app, admin, tokenWith } = await createTestApp({ nowMs: () => now });
    const read = bearer(await tokenWith(['read']));

    const add = await app.inject({ method: 'POST', url: '/api/v1/lists/block', headers: admin, payload: { entity: 'ip:10.0.0.9', reason: 'scanner, "loud"' } });
    expect(add.statusCode).toBe(201);
    expect(add.json()).toEqual({ list: 'block', entity: 'ip:10.0.0.9', source: 'manual', reason: 'scanner, "loud"', created_ms: now });
    now += 1000;
    const second = await app.inject({ method: 'POST', url: '/api/v1/lists/block', headers: admin, payload: { entity: 'sensor:plant-1/t-3', reason: 'line1\nline2' } });
    expect(second.statusCode).toBe(201);
    await app.inject({ method: 'POST', url: '/api/v1/lists/allow', headers: admin, payload: { entity: 'robot:r-1' } });

    const block = await app.inject({ method: 'GET', url: '/api/v1/lists/block', headers: read });
    expect(block.statusCode).toBe(200);
    expect(block.json().items.map((e: { entity: string }) => e.entity)).toEqual(['ip:10.0.0.9', 'sensor:plant-1/t-3']);
    const allow = await app.inject({ method: 'GET', url: '/api/v1/lists/allow', headers: read });
    expect(allow.json().items).toEqual([{ list: 'allow', entity: 'robot:r-1', source: 'manual', reason: '', created_ms: now }]);

    const csv = await app.inject({ method: 'GET', url: '/api/v1/lists/block?format=csv', headers: read });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body).toBe(
      'list,entity,source,reason,created\r\n' +
        'block,ip:10.0.0.9,manual,"scanner, ""loud""",2024-05-01T12:00:00.000Z\r\n' +
        'block,sensor:plant-1/t-3,manual,"line1\nline2",2024-05-01T12:00:01.000Z\r\n',
    );

    const del = await app.inject({ method: 'DELETE', url: `/api/v1/lists/block/${encodeURIComponent('sensor:plant-1/t-3')}`, headers: admin });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    const again = await app.inject({ method: 'DELETE', url: `/api/v1/lists/block/${encodeURIComponent('sensor:plant-1/t-3')}`, headers: admin });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('IPQ-E005');
    const after = await app.inject({ method: 'GET', url: '/api/v1/lists/block', headers: read });
    expect(after.json().items.map((e: { entity: string }) => e.entity)).toEqual(['ip:10.0.0.9']);
  });

  it('lists entries ordered by entity, as documented', async () => {
    let now = Date.UTC(2024, 4, 1, 12, 0, 0);
    const { app, admin } = await createTestApp({ nowMs: () => now });
    for (const entity of ['sensor:plant-1/t-3', 'robot:r-9', 'ip:10.0.0.9']) {
      expect((await app.inject({ method: 'POST', url: '/api/v1/lists/block', headers: admin, payload: { entity } })).statusCode).toBe(201);
      now += 1000;
    }
    const block = await app.inject({ method: 'GET', url: '/api/v1/lists/block', headers: admin });
    expect(block.json().items.map((e: { entity: string }) => e.entity)).toEqual(['ip:10.0.0.9', 'robot:r-9', 'sensor:plant-1/t-3']);
  });

  it('a blocked entity is scored as blocked by the monitor (entries reach detection)', async () => {
    const { app, admin, tokenWith } = await createTestApp();
    const ingest = bearer(await tokenWith(['ingest']));
    await app.inject({ method: 'POST', url: '/api/v1/lists/block', headers: admin, payload: { entity: 'robot:r-bad' } });
    const ev = { type: 'robot', timestamp: 1_714_564_800, ip: '10.0.0.5', robot_id: 'r-bad', task: 'pick', ports_accessed: [] };
    const r = await app.inject({ method: 'POST', url: '/api/v1/events/predict', headers: ingest, payload: [ev] });
    // Nothing else fires (rule risk 0), so the risk is the block floor blockedRisk = 0.9 (engine.ts): critical.
    expect(r.json().results[0]).toMatchObject({ risk: 0.9, risk_class: 'High', alerts: [{ severity: 'critical', reasons: ['Blocked Entity'] }] });
    // Removing the entry takes effect at once.
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/lists/block/${encodeURIComponent('robot:r-bad')}`, headers: admin })).statusCode).toBe(204);
    const after = await app.inject({ method: 'POST', url: '/api/v1/events/predict', headers: ingest, payload: [ev] });
    expect(after.json().results[0]).toMatchObject({ risk: 0, alerts: [] });
  });

  it("an operator's allow entry silences alerts; the event is still scored and stored", async () => {
    const { app, admin, tokenWith } = await createTestApp();
    const ingest = bearer(await tokenWith(['ingest']));
    const read = bearer(await tokenWith(['read']));
    expect((await app.inject({ method: 'POST', url: '/api/v1/lists/allow', headers: admin, payload: { entity: 'robot:r-lab' } })).statusCode).toBe(201);
    const telnet = (robotId: string, id: string) => ({ type: 'robot', id, timestamp: 1_714_564_800, ip: '10.0.0.5', robot_id: robotId, task: 'pick', ports_accessed: [23] });
    const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: [telnet('r-lab', 'quiet'), telnet('r-other', 'loud')] });
    expect(r.statusCode).toBe(200);
    const [quiet, loud] = r.json().results;
    expect(quiet).toMatchObject({ risk: 0.945503, alerts: [] }); // sin²(0.425π): robotPortRisk 0.85, sine-modulated
    expect(loud.alerts).toHaveLength(1);
    const alerts = await app.inject({ method: 'GET', url: '/api/v1/alerts', headers: read });
    expect(alerts.json().items.map((a: { event_id: string }) => a.event_id)).toEqual(['loud']);
    const events = await app.inject({ method: 'GET', url: `/api/v1/events?entity=${encodeURIComponent('robot:r-lab')}`, headers: read });
    expect(events.json().items.map((e: { id: string }) => e.id)).toEqual(['quiet']);
  });

  it('rejects unknown lists, bad entity keys and unknown fields with 400/404 in the error shape', async () => {
    const { app, admin } = await createTestApp();
    const cases: [string, unknown, number, string][] = [
      ['/api/v1/lists/grey', { entity: 'ip:1.2.3.4' }, 400, 'params.list'],
      ['/api/v1/lists/block', { entity: '1.2.3.4' }, 400, 'body.entity'],
      ['/api/v1/lists/block', { entity: 'ip:1.2.3.4', source: 'auto' }, 400, 'body.source'],
      ['/api/v1/lists/block', { entity: 'ip:1.2.3.4', reason: 'x'.repeat(501) }, 400, 'body.reason'],
      ['/api/v1/lists/block', {}, 400, 'body.entity'],
    ];
    for (const [url, payload, status, field] of cases) {
      const r = await app.inject({ method: 'POST', url, headers: admin, payload: payload as object });
      expect(r.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(status);
      expect(r.json().error.code).toBe('IPQ-E004');
      expect(r.json().error.issues.map((i: { path: string }) => i.path)).toContain(field);
    }
    const huge = await app.inject({ method: 'POST', url: '/api/v1/lists/block', headers: admin, payload: { entity: 'ip:1.2.3.4', reason: 'x'.repeat(100_000) } });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('IPQ-E002');
    const csvOfUnknown = await app.inject({ method: 'GET', url: '/api/v1/lists/grey?format=csv', headers: admin });
    expect(csvOfUnknown.statusCode).toBe(400);
    expect(csvOfUnknown.json().error.code).toBe('IPQ-E004');
  });
});
