/** LiveStore and its containers: caps hold, order is by time, series are grouped, notifications are throttled. */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ALERT_CAP, EVENT_CAP, LiveStore, NOTIFY_INTERVAL_MS, RateCounter, SeriesMap } from './live-store';
import type { Alert, StoredEvent } from './types';

const T0 = Date.parse('2026-11-21T12:00:00Z');

function sensorEvent(i: number, sensor: string, value: number, risk: number, ts = T0 + i * 1000): StoredEvent {
  return { id: `s-${sensor}-${i}`, type: 'sensor', entity: `sensor:site-a/${sensor}`, ts_ms: ts, site: 'site-a', risk, risk_class: 'Low', body: { type: 'sensor', site: 'site-a', sensor_id: sensor, kind: 'temperature', value, unit: 'C' } };
}
function flow(i: number, ts = T0 + i): StoredEvent {
  return { id: `f-${i}`, type: 'flow', entity: 'ip:10.0.0.1', ts_ms: ts, site: null, risk: 0.1, risk_class: 'Low', body: { orig_h: '10.0.0.1' } };
}
function alert(i: number, severity: Alert['severity'] = 'high'): Alert {
  return {
    id: `a-${i}`, event_id: `f-${i}`, event_type: 'flow', entity: 'ip:10.0.0.1', timestamp: new Date(T0 + i).toISOString(), ts_ms: T0 + i, ip: '10.0.0.1', task: null,
    previous_task: null, ports_accessed: [], intrusion_detected: true, reasons: ['Port Scan'], severity, risk: 0.9, techniques: [{ id: 'T1046', name: 'Network Service Discovery' }],
    acked: false, acked_by: null, acked_at_ms: null,
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('LiveStore', () => {
  it('caps events at 10,000 and alerts at 1,000, keeping the newest', () => {
    const s = new LiveStore(() => T0);
    for (let i = 0; i < EVENT_CAP + 500; i++) s.addLiveEvent(flow(i));
    expect(s.events.size).toBe(EVENT_CAP);
    expect(s.events.at(0).id).toBe('f-500');
    for (let i = 0; i < ALERT_CAP + 10; i++) s.addAlert(alert(i));
    expect(s.alerts.size).toBe(ALERT_CAP);
    expect(s.alerts.newestFirst()[0].id).toBe(`a-${ALERT_CAP + 9}`);
  });

  it('merges an older REST page under live events in time order, without duplicates', () => {
    const s = new LiveStore(() => T0);
    s.addLiveEvent(flow(10));
    s.addLiveEvent(flow(11));
    s.addEventPage([flow(11), flow(3), flow(7)]);
    expect(s.events.toArray().map((e) => e.id)).toEqual(['f-3', 'f-7', 'f-10', 'f-11']);
  });

  it('keeps the traffic buffer in event-time order whatever the arrival order, newest 10,000 by time (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 120_000 }), fc.boolean()), { maxLength: 200 }), (arrivals) => {
        const s = new LiveStore(() => T0);
        const events = arrivals.map(([dt], i) => flow(i, T0 + dt));
        // Live one by one, or in pages of 7 (REST), mixed.
        for (let i = 0; i < events.length; ) {
          if (arrivals[i][1]) s.addLiveEvent(events[i++]);
          else {
            s.addEventPage(events.slice(i, i + 7));
            i += 7;
          }
        }
        const shown = s.events.newestFirst();
        const expected = [...events].sort((a, b) => b.ts_ms - a.ts_ms || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
        expect(shown.map((e) => e.id)).toEqual(expected.map((e) => e.id));
      }),
      { numRuns: 100 },
    );
    // Full buffer: a late event older than all held is not kept; the oldest by time is dropped for a newer one.
    const s = new LiveStore(() => T0);
    s.addEventPage(Array.from({ length: EVENT_CAP }, (_, i) => flow(i, T0 + 1000 + i)));
    s.addLiveEvent(flow(-1, T0));
    expect(s.events.has('f--1')).toBe(false);
    s.addLiveEvent(flow(-2, T0 + 1500));
    expect(s.events.size).toBe(EVENT_CAP);
    expect(s.events.at(0).id).toBe('f-1');
    // f-500 has the same time (T0 + 1500): the id breaks the tie, descending ('5' > '-'), so f-500 shows first.
    const shown = s.events.newestFirst();
    expect(shown[EVENT_CAP - 501].id).toBe('f-500');
    expect(shown[EVENT_CAP - 500].id).toBe('f--2');
  });

  it('groups sensor readings per sensor, time-ordered, whatever order pages and live events come in (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 500 })), { maxLength: 80 }), fc.boolean(), (reads, asPage) => {
        const s = new LiveStore(() => T0);
        const events = reads.map(([k, t], i) => sensorEvent(i, `tt-00${k}`, t / 10, 0.1, T0 + t * 1000));
        if (asPage) s.addEventPage(events, false);
        else for (const e of events) s.addLiveEvent(e);
        for (let k = 0; k < 3; k++) {
          const pts = s.sensors.points(`sensor:site-a/tt-00${k}`);
          const mine = events.filter((e) => e.entity === `sensor:site-a/tt-00${k}`);
          expect(pts.length).toBe(mine.length);
          for (let i = 1; i < pts.length; i++) expect(pts[i].ts).toBeGreaterThanOrEqual(pts[i - 1].ts);
        }
        // A page of sensor history does not enter the traffic buffer.
        expect(s.events.size).toBe(asPage ? 0 : events.length);
      }),
      { numRuns: 100 },
    );
  });

  it('tells subscribers at most once per interval, and at once for connection changes', () => {
    const s = new LiveStore(() => T0);
    let calls = 0;
    s.subscribe(() => calls++);
    for (let i = 0; i < 100; i++) s.addLiveEvent(flow(i));
    expect(calls).toBe(0);
    vi.advanceTimersByTime(NOTIFY_INTERVAL_MS);
    expect(calls).toBe(1);
    s.setConnection({ state: 'open' });
    expect(calls).toBe(2);
  });

  it('updates a fetched entity from live events (last seen, events, max risk)', () => {
    const s = new LiveStore(() => T0);
    s.setEntities([{ entity: 'ip:10.0.0.1', kind: 'ip', first_seen_ms: T0, last_seen_ms: T0, events: 1, alerts: 0, recurrence: 0, max_risk: 0.05, ewma_risk: 0.05, risk_class: 'Low', exposure: 0 }]);
    s.addLiveEvent({ ...flow(5), risk: 0.8 });
    expect(s.entities.get('ip:10.0.0.1')).toMatchObject({ last_seen_ms: T0 + 5, events: 2, max_risk: 0.8 });
  });
});

describe('SeriesMap', () => {
  it('evicts the least recently updated key beyond maxKeys and caps points per key', () => {
    const m = new SeriesMap<{ id: string; ts: number }>(2, 3);
    for (let i = 0; i < 5; i++) m.add('a', { id: `a${i}`, ts: i });
    m.add('b', { id: 'b0', ts: 0 });
    m.add('a', { id: 'a9', ts: 9 });
    m.add('c', { id: 'c0', ts: 0 });
    expect(m.keys()).toEqual(['a', 'c']);
    expect(m.points('a').map((p) => p.id)).toEqual(['a3', 'a4', 'a9']);
  });
});

describe('RateCounter', () => {
  it('counts per second and averages over complete seconds', () => {
    const r = new RateCounter(60);
    for (let i = 0; i < 30; i++) r.add(T0 + 100 + i); // 30 in second T0
    r.add(T0 + 1500, 10); // 10 in second T0+1
    expect(r.rate(T0 + 2000, 2)).toBe(20);
    expect(r.rate(T0 + 2000, 10)).toBe(4);
    const [xs, ys] = r.series(T0 + 2000, 3);
    expect(xs).toEqual([T0 / 1000 - 1, T0 / 1000, T0 / 1000 + 1]);
    expect(ys).toEqual([0, 30, 10]);
    // 60 s later the slot of T0 is reused and the old count is gone.
    r.add(T0 + 60_000);
    expect(r.countAt(T0 / 1000)).toBe(0);
    expect(r.countAt(T0 / 1000 + 60)).toBe(1);
    // A time a full window older than the newest is ignored: it must not wipe the current slot.
    r.add(T0 + 500);
    expect(r.countAt(T0 / 1000 + 60)).toBe(1);
    expect(r.countAt(T0 / 1000)).toBe(0);
  });
});
