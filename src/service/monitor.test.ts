/**
 * The service end to end in one process: the real SQLite store, the detection engine with a flow model trained on
 * the simulator, and the Monitor, scored against the simulator's ground truth (an independent oracle: the
 * scenario schedule, not the detectors, says which events are attacks).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvents, type IngestEvent } from '../core/events.js';
import type { EventResult } from '../core/records.js';
import { DetectionEngine } from '../detect/engine.js';
import { scoreRun, simulate, type ObservedEvent } from '../sim/index.js';
import { openSqliteStore } from '../store/index.js';
import type { Store } from '../store/store.js';
import { ModelFlowScorer, trainFlowModel } from './flow-model.js';
import { Monitor } from './monitor.js';
import type { StreamMessage } from './monitor-port.js';
import { seedTransitionsFromSimulator } from './task-history.js';
import type { ModelBundle } from '../ml/model-file.js';

let n = 0;
const newId = () => `t${(n++).toString(36).padStart(8, '0')}`;
let bundle: ModelBundle;
let dir: string;

beforeAll(async () => {
  // A small first-start model: 150 simulated seconds, no UNSW rows, 60 rounds (about a second).
  bundle = (await trainFlowModel('/nonexistent', { durationS: 150, unswSample: 0, maxIter: 60 })).bundle;
  dir = mkdtempSync(join(tmpdir(), 'ipqsec-monitor-'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function openMonitor(store: Store): Promise<Monitor> {
  const engine = new DetectionEngine({}, { newId, flowScorer: new ModelFlowScorer(bundle, 'test model') });
  seedTransitionsFromSimulator(engine.transitions);
  return Monitor.open({ store, engine });
}

async function ingestAll(m: Monitor, events: readonly IngestEvent[], batch = 1000): Promise<EventResult[]> {
  const out: EventResult[] = [];
  for (let i = 0; i < events.length; i += batch) out.push(...(await m.ingest(events.slice(i, i + batch), { persist: true, source: 'sim' })));
  return out;
}

describe('Monitor with SQLite, scored against the simulator ground truth', () => {
  it('detects every scenario with precision and recall >= 0.95 and stores every event', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const m = await openMonitor(store);
    const { events, truth } = simulate({ seed: 11, startMs: Date.UTC(2026, 5, 1), durationS: 160 });
    const parsed = parseEvents(events.slice(0, 10_000), newId).concat(
      ...Array.from({ length: Math.ceil((events.length - 10_000) / 10_000) }, (_, k) => parseEvents(events.slice(10_000 * (k + 1), 10_000 * (k + 2)), newId)),
    );
    const results = await ingestAll(m, parsed);
    expect(results.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(await store.countEvents()).toBe(events.length);
    // Stored flows carry the model's probability as their confidence (varying from flow to flow); robot and sensor
    // events have none.
    const page = await store.listEvents({ limit: 1000 });
    const flows = page.items.filter((e) => e.type === 'flow');
    expect(flows.length).toBeGreaterThan(0);
    for (const e of page.items) if (e.type !== 'flow') expect(e.confidence).toBeNull();
    for (const e of flows) {
      expect(e.confidence).not.toBeNull();
      expect(e.confidence!).toBeGreaterThanOrEqual(0);
      expect(e.confidence!).toBeLessThanOrEqual(1);
    }
    expect(new Set(flows.map((e) => e.confidence)).size).toBeGreaterThan(1);
    const observed: ObservedEvent[] = events.map((e, i) => ({ event: e, alerts: results[i]!.alerts }));
    const scores = scoreRun(truth, observed).filter((s) => s.kind !== 'events' && s.instances > 0);
    expect(scores.length).toBe(11);
    for (const s of scores) {
      expect.soft(s.recall, `${s.kind} recall`).toBeGreaterThanOrEqual(0.95);
      expect.soft(s.precision_any ?? 0, `${s.kind} precision`).toBeGreaterThanOrEqual(0.95);
    }
    await m.close();
    await store.close();
  }, 60_000);

  it('keeps threat memory across a restart, so a slow attacker keeps escalating', async () => {
    const path = join(dir, 'restart');
    const flow = (k: number): unknown => ({
      type: 'flow', id: `slow-${k}`, ts: 1_780_000_000 + k * 8, orig_h: '203.0.113.77', orig_p: 40000 + k, resp_h: '10.0.0.5',
      resp_p: 1000 + k, proto: 'tcp', conn_state: 'REJ', orig_pkts: 1, orig_bytes: 0, resp_pkts: 1, resp_bytes: 0, duration: 0.001,
    });
    let store = await openSqliteStore({ dataDir: path });
    let m = await openMonitor(store);
    for (let k = 0; k < 4; k++) await m.ingest(parseEvents([flow(k)], newId), { persist: true, source: 'sim' });
    const before = (await store.getEntities(['ip:203.0.113.77']))[0]!;
    expect(before.events).toBe(4);
    expect(before.recurrence).toBeGreaterThan(3);
    await m.close();
    await store.close();

    store = await openSqliteStore({ dataDir: path });
    m = await openMonitor(store);
    expect(m.engine.memory.get('ip:203.0.113.77')?.recurrence).toBe(before.recurrence);
    const [r] = await m.ingest(parseEvents([flow(4)], newId), { persist: true, source: 'sim' });
    expect(r!.alerts[0]?.reasons).toContain('Recurring Offender');
    const after = (await store.getEntities(['ip:203.0.113.77']))[0]!;
    expect(after.events).toBe(5);
    expect(after.recurrence).toBeGreaterThan(before.recurrence);
    await m.close();
    await store.close();
  });

  it('predict stores nothing and changes no state; ingest publishes events and alerts', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const m = await openMonitor(store);
    const seen: StreamMessage['type'][] = [];
    const unsubscribe = m.subscribe((msg) => seen.push(msg.type));
    const scan = Array.from({ length: 20 }, (_, k) => ({
      type: 'flow', ts: 1_780_000_000 + k * 0.1, orig_h: '198.51.100.9', orig_p: 50000, resp_h: '10.0.0.5', resp_p: 1000 + k, proto: 'tcp', conn_state: 'REJ',
    }));
    const p1 = await m.ingest(parseEvents(scan, newId), { persist: false, source: 'http' });
    const p2 = await m.ingest(parseEvents(scan, newId), { persist: false, source: 'http' });
    expect(p2.map((r) => r.risk)).toEqual(p1.map((r) => r.risk));
    expect(p1.some((r) => r.alerts.length > 0)).toBe(false); // each event scored alone: 1 port, no scan
    expect(await store.countEvents()).toBe(0);
    expect(m.engine.memory.size).toBe(0);
    expect(seen).toEqual([]);
    const stored = await m.ingest(parseEvents(scan, newId), { persist: true, source: 'http' });
    expect(stored.some((r) => r.alerts.some((a) => a.reasons.includes('Port Scan')))).toBe(true);
    expect(seen.filter((t) => t === 'event').length).toBe(20);
    expect(seen.filter((t) => t === 'alert').length).toBeGreaterThan(0);
    unsubscribe();
    await m.close();
    await store.close();
  });

  it('an operator allow entry silences alerts and a block entry raises them', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const m = await openMonitor(store);
    const robot = (id: string, ports: number[]) => ({ type: 'robot', id, timestamp: '2026-06-01T00:00:00Z', ip: '10.20.0.9', robot_id: 'r-9', task: 'idle', ports_accessed: ports });
    await m.putListEntry({ list: 'allow', entity: 'robot:r-9', source: 'manual', reason: 'maintenance', created_ms: 1 });
    const [quiet] = await m.ingest(parseEvents([robot('a', [23])], newId), { persist: true, source: 'http' });
    expect(quiet!.alerts).toEqual([]);
    await m.putListEntry({ list: 'block', entity: 'robot:r-9', source: 'manual', reason: 'stolen', created_ms: 2 });
    expect((await store.listEntries('allow')).length).toBe(0);
    const [loud] = await m.ingest(parseEvents([robot('b', [])], newId), { persist: true, source: 'http' });
    expect(loud!.alerts[0]?.reasons).toEqual(['Blocked Entity']);
    expect(loud!.risk).toBeGreaterThanOrEqual(0.9);
    await m.close();
    await store.close();
  });

  it('refuses batches beyond the backlog limit with IPQ-S005 and loses none it accepted', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const engine = new DetectionEngine({}, { newId });
    const m = await Monitor.open({ store, engine, maxBacklogEvents: 250 });
    const batch = (k: number) =>
      parseEvents(
        Array.from({ length: 100 }, (_, i) => ({ type: 'sensor', id: `b${k}-${i}`, ts: 1_780_000_000 + k, site: 's', sensor_id: `t${i}`, kind: 'temperature', value: 20, unit: 'C' })),
        newId,
      );
    const calls = Array.from({ length: 6 }, (_, k) => m.ingest(batch(k), { persist: true, source: 'http' }).then(() => 'ok', (e: unknown) => (e as { code?: string }).code));
    expect(m.backlog).toBe(200); // the first two were admitted (100 + 100 ≤ 250); the third would make 300
    const outcome = await Promise.all(calls);
    expect(outcome).toEqual(['ok', 'ok', 'IPQ-S005', 'IPQ-S005', 'IPQ-S005', 'IPQ-S005']);
    expect(await store.countEvents()).toBe(200);
    expect(m.backlog).toBe(0);
    await m.close();
    await store.close();
  });
});
