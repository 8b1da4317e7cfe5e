import { describe, expect, it } from 'vitest';
import { createMetrics } from '../service/metrics.js';
import { bearer, createTestApp } from './_test-deps.js';

/** The value of one sample line `name{labels} value` in Prometheus text format, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(m[4]);
  }
  return undefined;
}

describe('createMetrics', () => {
  it('uses its own registry: two instances do not share counts', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.mqttMalformed.inc(3);
    expect(sample(await a.registry.metrics(), 'ipqsec_mqtt_malformed_total')).toBe(3);
    expect(sample(await b.registry.metrics(), 'ipqsec_mqtt_malformed_total')).toBe(0);
  });

  it('registers the default process metrics unless told not to', async () => {
    expect(await createMetrics().registry.metrics()).toContain('process_cpu_user_seconds_total');
    expect(await createMetrics({ defaultMetrics: false }).registry.metrics()).not.toContain('process_cpu_user_seconds_total');
  });
});

describe('GET /api/v1/metrics', () => {
  it('exposes ingest, alert, rejection and per-route request metrics in Prometheus text format', async () => {
    const { app, tokenWith } = await createTestApp();
    const ingest = bearer(await tokenWith(['ingest']));
    const read = bearer(await tokenWith(['read']));
    const robot = (ports: number[]) => ({ type: 'robot', timestamp: 1_714_564_800, ip: '10.0.0.5', robot_id: 'r-1', task: 'pick', ports_accessed: ports });
    await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: [robot([443]), robot([23]), robot([80])] });
    await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: [{ type: 'robot' }] });
    await app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...ingest, 'content-type': 'application/json' }, payload: '[' });
    await app.inject({ method: 'GET', url: `/api/v1/entities/${encodeURIComponent('robot:r-1')}`, headers: read });
    await app.inject({ method: 'GET', url: `/api/v1/entities/${encodeURIComponent('robot:r-2')}`, headers: read });

    const r = await app.inject({ method: 'GET', url: '/api/v1/metrics', headers: read });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = r.body;
    expect(sample(text, 'ipqsec_events_ingested_total', { type: 'robot', source: 'http' })).toBe(3);
    expect(sample(text, 'ipqsec_alerts_total', { severity: 'critical' })).toBe(1); // robot port 23: sin²(0.425π) = 0.9455
    expect(sample(text, 'ipqsec_ingest_rejected_total', { reason: 'schema' })).toBe(1);
    expect(sample(text, 'ipqsec_ingest_rejected_total', { reason: 'malformed' })).toBe(1);
    expect(text).toContain('# TYPE ipqsec_ingest_batch_seconds histogram');
    expect(text).toContain('# TYPE ipqsec_tracked_entities gauge');
    expect(text).toContain('# TYPE ipqsec_mqtt_malformed_total counter');
    // Route pattern, not the raw URL: both entity lookups land in one series per status.
    expect(sample(text, 'ipqsec_http_request_duration_seconds_count', { route: '/api/v1/entities/:id', method: 'GET', status: '200' })).toBe(1);
    expect(sample(text, 'ipqsec_http_request_duration_seconds_count', { route: '/api/v1/entities/:id', method: 'GET', status: '404' })).toBe(1);
    expect(sample(text, 'ipqsec_http_request_duration_seconds_count', { route: '/api/v1/events', method: 'POST', status: '200' })).toBe(1);
    expect(text).not.toContain('robot%3Ar-1');
  });
});
