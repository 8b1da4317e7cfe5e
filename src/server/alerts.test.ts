import { describe, expect, it } from 'vitest';
import { bearer, createTestApp } from './_test-deps.js';

const T0 = 1_714_564_800; // 2024-05-01T12:00:00Z in epoch seconds
/**
 * Seconds between consecutive telnet reports. The engine raises one alert per (entity, reason) per 60 s of event
 * time (alert-builder.ts) and these alternate between two robots, so each robot's reports are 120 s apart and
 * every report raises its own `Suspicious Port Access` alert.
 */
const STEP_S = 60;
const telnet = (i: number, robotId: string) => ({
  type: 'robot',
  id: `ev-${i}`,
  timestamp: T0 + i * STEP_S,
  ip: '10.0.0.5',
  robot_id: robotId,
  task: 'pick',
  ports_accessed: [23],
});

async function withAlerts(n: number) {
  let now = 1_800_000_000_000;
  const t = await createTestApp({ nowMs: () => now });
  const ingest = bearer(await t.tokenWith(['ingest']));
  const read = bearer(await t.tokenWith(['read']));
  const batch = Array.from({ length: n }, (_, i) => telnet(i, i % 2 === 0 ? 'r-even' : 'r-odd'));
  const r = await t.app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: batch });
  expect(r.statusCode).toBe(200);
  const alertIds: string[] = r.json().results.map((x: { alerts: { id: string }[] }) => x.alerts[0].id);
  return { ...t, read, ingest, alertIds, tick: (ms: number) => (now += ms), now: () => now };
}

describe('alerts', () => {
  it('lists alerts newest first with their event, entity and robot-fleet fields', async () => {
    const { app, read, alertIds } = await withAlerts(3);
    const r = await app.inject({ method: 'GET', url: '/api/v1/alerts', headers: read });
    expect(r.statusCode).toBe(200);
    const items = r.json().items;
    expect(items.map((a: { id: string }) => a.id)).toEqual([...alertIds].reverse());
    expect(items[0]).toMatchObject({
      event_id: 'ev-2',
      event_type: 'robot',
      entity: 'robot:r-even',
      timestamp: '2024-05-01T12:02:00.000Z',
      ts_ms: (T0 + 120) * 1000,
      ip: '10.0.0.5',
      task: 'pick',
      ports_accessed: [23],
      intrusion_detected: true,
      reasons: ['Suspicious Port Access'],
      acked: false,
      acked_by: null,
    });
  });

  it('filters by entity and pages with cursors', async () => {
    const { app, read } = await withAlerts(7);
    const even = await app.inject({ method: 'GET', url: `/api/v1/alerts?entity=${encodeURIComponent('robot:r-even')}&limit=3`, headers: read });
    expect(even.json().items.map((a: { event_id: string }) => a.event_id)).toEqual(['ev-6', 'ev-4', 'ev-2']);
    const next = await app.inject({ method: 'GET', url: `/api/v1/alerts?entity=${encodeURIComponent('robot:r-even')}&limit=3&cursor=${even.json().next_cursor}`, headers: read });
    expect(next.json().items.map((a: { event_id: string }) => a.event_id)).toEqual(['ev-0']);
    expect(next.json().next_cursor).toBeNull();
  });

  it('ack (admin) records who and when, is idempotent, and moves the alert between acked filters', async () => {
    const { app, read, admin, alertIds, tick, now } = await withAlerts(2);
    const id = alertIds[0];
    const denied = await app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/ack`, headers: read });
    expect(denied.statusCode).toBe(403);
    const ackAt = now();
    const r = await app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/ack`, headers: admin });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id, acked: true, acked_by: 'admin (IPQSEC_ADMIN_TOKEN)', acked_at_ms: ackAt });
    tick(60_000);
    const again = await app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/ack`, headers: admin });
    expect(again.json().acked_at_ms).toBe(ackAt);
    const acked = await app.inject({ method: 'GET', url: '/api/v1/alerts?acked=true', headers: read });
    expect(acked.json().items.map((a: { id: string }) => a.id)).toEqual([id]);
    const open = await app.inject({ method: 'GET', url: '/api/v1/alerts?acked=false', headers: read });
    expect(open.json().items.map((a: { id: string }) => a.id)).toEqual([alertIds[1]]);
    const one = await app.inject({ method: 'GET', url: `/api/v1/alerts/${id}`, headers: read });
    expect(one.json().acked).toBe(true);
  });

  it('unknown alert id is 404 IPQ-E005 for ack and get', async () => {
    const { app, admin } = await withAlerts(1);
    for (const [method, url] of [
      ['POST', '/api/v1/alerts/nope/ack'],
      ['GET', '/api/v1/alerts/nope'],
    ] as const) {
      const r = await app.inject({ method, url, headers: admin });
      expect(r.statusCode).toBe(404);
      expect(r.json().error.code).toBe('IPQ-E005');
    }
  });

  it('acked must be true or false', async () => {
    const { app, read } = await withAlerts(1);
    const r = await app.inject({ method: 'GET', url: '/api/v1/alerts?acked=yes', headers: read });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.issues[0].path).toBe('querystring.acked');
  });
});

describe('entities', () => {
  it('lists threat memory and returns one entity by URL-encoded id (":" and "/")', async () => {
    const { app, ingest, read } = await withAlerts(3);
    const sensor = { type: 'sensor', ts: T0 + 1000, site: 'plant-1', sensor_id: 'line/t-3', kind: 'temperature', value: 21, unit: 'C' };
    await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: [sensor] });

    const list = await app.inject({ method: 'GET', url: '/api/v1/entities', headers: read });
    expect(list.statusCode).toBe(200);
    // Most recently seen first: the sensor (T0+1000), then r-even (last at T0+120), then r-odd (T0+60).
    expect(list.json().items.map((e: { entity: string }) => e.entity)).toEqual(['sensor:plant-1/line/t-3', 'robot:r-even', 'robot:r-odd']);

    const one = await app.inject({ method: 'GET', url: `/api/v1/entities/${encodeURIComponent('sensor:plant-1/line/t-3')}`, headers: read });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ entity: 'sensor:plant-1/line/t-3', kind: 'sensor', events: 1 });

    const robot = await app.inject({ method: 'GET', url: `/api/v1/entities/${encodeURIComponent('robot:r-even')}`, headers: read });
    expect(robot.json()).toMatchObject({ kind: 'robot', events: 2, alerts: 2, first_seen_ms: T0 * 1000, last_seen_ms: (T0 + 120) * 1000 });

    const sensors = await app.inject({ method: 'GET', url: '/api/v1/entities?kind=sensor', headers: read });
    expect(sensors.json().items).toHaveLength(1);
  });

  it('unknown entity is 404 IPQ-E005', async () => {
    const { app, read } = await withAlerts(1);
    const r = await app.inject({ method: 'GET', url: `/api/v1/entities/${encodeURIComponent('ip:10.9.9.9')}`, headers: read });
    expect(r.statusCode).toBe(404);
    expect(r.json().error.code).toBe('IPQ-E005');
  });
});
