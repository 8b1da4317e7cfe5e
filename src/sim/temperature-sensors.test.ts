import { describe, expect, it } from 'vitest';
import { eventTimeMs, type SensorEventInput } from '../core/events.js';
import type { ScenarioKind } from './scenarios.js';
import { simulate } from './simulator.js';
import { sensorIdentity, sensorOffsetMs } from './temperature-sensors.js';

const START = Date.UTC(2025, 5, 1, 6, 0, 0);
type Sensor = SensorEventInput & { id: string };

function sensorsOnly(o: { durationS: number; seed: number; sensors: number; intervalMs?: number; scenarios?: ScenarioKind[] }) {
  const r = simulate({
    seed: o.seed,
    startMs: START,
    durationS: o.durationS,
    robots: 0,
    flowsPerSecond: 0,
    sensors: o.sensors,
    sensorIntervalMs: o.intervalMs ?? 1000,
    scenarios: o.scenarios ?? [],
  });
  return { events: r.events as Sensor[], truth: r.truth };
}

const series = (events: readonly Sensor[], key: string): Sensor[] => events.filter((e) => `sensor:${e.site}/${e.sensor_id}` === key);

describe('sensor identities', () => {
  it('names 25 sensors per site, numbers them across sites and staggers them over one interval', () => {
    expect(sensorIdentity(0, 100)).toEqual({ site: 'site-a', id: 'tt-001' });
    expect(sensorIdentity(24, 100)).toEqual({ site: 'site-a', id: 'tt-025' });
    expect(sensorIdentity(25, 100)).toEqual({ site: 'site-b', id: 'tt-026' });
    expect(sensorIdentity(99, 100)).toEqual({ site: 'site-d', id: 'tt-100' });
    expect(sensorIdentity(26 * 25, 1000)).toEqual({ site: 'site-ba', id: 'tt-0651' });
    expect(sensorOffsetMs(0, 100, 1000)).toBe(0);
    expect(sensorOffsetMs(50, 100, 1000)).toBe(500);
    expect(sensorOffsetMs(99, 100, 1000)).toBe(990);
  });
});

describe('TemperatureSensors (through simulate)', () => {
  it('reads once per interval per sensor, in °C quantised to 0.01, well inside −40…85, noise σ 0.1–0.3', () => {
    const { events } = sensorsOnly({ durationS: 300, seed: 4, sensors: 20 });
    expect(events.length).toBe(20 * 300);
    expect(events.filter((e) => e.unit !== 'C' || e.kind !== 'temperature' || Math.abs(e.value * 100 - Math.round(e.value * 100)) > 1e-6)).toEqual([]);
    for (let i = 0; i < 20; i++) {
      const id = sensorIdentity(i, 20);
      const s = series(events, `sensor:${id.site}/${id.id}`);
      expect(s.length).toBe(300);
      expect(s.every((e, j) => eventTimeMs(e) === START + sensorOffsetMs(i, 20, 1000) + j * 1000)).toBe(true);
      const values = s.map((e) => e.value);
      // base 15–60, daily cycle ≤ 5: every reading in [10 − noise, 65 + noise]
      expect(Math.min(...values)).toBeGreaterThan(8);
      expect(Math.max(...values)).toBeLessThan(67);
      // Over 5 minutes the daily cycle moves < 0.11 °C; first differences are noise: var(diff) = 2σ².
      const d = values.slice(1).map((v, j) => v - values[j]);
      const mean = d.reduce((a, x) => a + x, 0) / d.length;
      const sigma = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (d.length - 1) / 2);
      expect(sigma).toBeGreaterThan(0.08);
      expect(sigma).toBeLessThan(0.34);
    }
  });

  it('follows a 24 h cycle of amplitude 2–5 °C (least-squares sinusoid fit over one simulated day)', () => {
    const { events } = sensorsOnly({ durationS: 86_400, seed: 9, sensors: 3, intervalMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      const id = sensorIdentity(i, 3);
      const s = series(events, `sensor:${id.site}/${id.id}`);
      expect(s.length).toBe(1440);
      // Fit v = c + a·sin(ωt) + b·cos(ωt); over whole periods sin, cos and 1 are orthogonal.
      const w = (2 * Math.PI) / 86_400_000;
      let c = 0;
      let a = 0;
      let b = 0;
      for (const e of s) {
        const t = eventTimeMs(e);
        c += e.value / s.length;
        a += (2 * e.value * Math.sin(w * t)) / s.length;
        b += (2 * e.value * Math.cos(w * t)) / s.length;
      }
      const amplitude = Math.hypot(a, b);
      expect(c).toBeGreaterThan(15 - 0.05);
      expect(c).toBeLessThan(60 + 0.05);
      expect(amplitude).toBeGreaterThan(2 - 0.05);
      expect(amplitude).toBeLessThan(5 + 0.05);
    }
  });

  it('sensor_spike: 1–3 readings 8–20 °C off the neighbouring readings, inside the range', () => {
    const { events, truth } = sensorsOnly({ durationS: 120, seed: 2, sensors: 10, scenarios: ['sensor_spike'] });
    expect(truth.scenarios.length).toBe(4);
    for (const sc of truth.scenarios) {
      const s = series(events, sc.entity);
      const inside = s.filter((e) => sc.event_ids.includes(e.id));
      expect(inside.length).toBeGreaterThanOrEqual(1);
      expect(inside.length).toBeLessThanOrEqual(3);
      const first = s.indexOf(inside[0]);
      const before = s[first - 1].value;
      const after = s[first + inside.length].value;
      for (const e of inside) {
        expect(Math.abs(e.value - before)).toBeGreaterThan(8 - 1);
        expect(Math.abs(e.value - before)).toBeLessThan(20 + 1);
        expect(e.value).toBeGreaterThanOrEqual(-40);
        expect(e.value).toBeLessThanOrEqual(85);
      }
      expect(Math.abs(after - before)).toBeLessThan(2);
    }
  });

  it('sensor_drift: a ramp of 0.03–0.08 °C/s over 60–120 s (least-squares slope), then back to normal', () => {
    const { events, truth } = sensorsOnly({ durationS: 200, seed: 6, sensors: 10, scenarios: ['sensor_drift'] });
    expect(truth.scenarios.length).toBe(7); // ⌊150 s / 20 s⌋
    for (const sc of truth.scenarios) {
      expect(sc.end_ms - sc.start_ms).toBeGreaterThanOrEqual(60_000);
      expect(sc.end_ms - sc.start_ms).toBeLessThanOrEqual(120_000);
      const s = series(events, sc.entity);
      const inside = s.filter((e) => sc.event_ids.includes(e.id));
      const xs = inside.map((e) => (eventTimeMs(e) - sc.start_ms) / 1000);
      const ys = inside.map((e) => e.value);
      const mx = xs.reduce((a, x) => a + x, 0) / xs.length;
      const my = ys.reduce((a, y) => a + y, 0) / ys.length;
      const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
      expect(slope).toBeGreaterThan(0.03 - 0.005);
      expect(slope).toBeLessThan(0.08 + 0.005);
      const k = s.indexOf(inside[0]);
      const before = s[k - 1].value;
      const afterIdx = k + inside.length;
      if (afterIdx < s.length) expect(Math.abs(s[afterIdx].value - before)).toBeLessThan(2);
    }
  });

  it('sensor_stuck: 30–60 identical readings equal to the last one before, then noisy again', () => {
    const { events, truth } = sensorsOnly({ durationS: 160, seed: 8, sensors: 10, scenarios: ['sensor_stuck'] });
    expect(truth.scenarios.length).toBe(6); // ⌊120 s / 20 s⌋
    for (const sc of truth.scenarios) {
      const s = series(events, sc.entity);
      const inside = s.filter((e) => sc.event_ids.includes(e.id));
      expect(inside.length).toBeGreaterThanOrEqual(30);
      expect(inside.length).toBeLessThanOrEqual(60);
      const k = s.indexOf(inside[0]);
      expect(new Set(inside.map((e) => e.value))).toEqual(new Set([s[k - 1].value]));
    }
    // No normal sensor repeats a value 30 times in a row.
    const normal = events.filter((e) => !truth.scenarios.some((sc) => sc.event_ids.includes(e.id)));
    const run = new Map<string, { v: number; n: number; max: number }>();
    for (const e of normal) {
      const key = `${e.site}/${e.sensor_id}`;
      const r = run.get(key) ?? { v: Number.NaN, n: 0, max: 0 };
      r.n = r.v === e.value ? r.n + 1 : 1;
      r.v = e.value;
      r.max = Math.max(r.max, r.n);
      run.set(key, r);
    }
    expect(Math.max(...[...run.values()].map((r) => r.max))).toBeLessThan(5);
  });

  it('sensor_out_of_range: 1–3 readings beyond −40…85 °C; no other reading is', () => {
    const { events, truth } = sensorsOnly({ durationS: 120, seed: 12, sensors: 10, scenarios: ['sensor_out_of_range'] });
    expect(truth.scenarios.length).toBe(4);
    const ids = new Set(truth.scenarios.flatMap((s) => s.event_ids));
    for (const sc of truth.scenarios) {
      expect(sc.event_ids.length).toBeGreaterThanOrEqual(1);
      expect(sc.event_ids.length).toBeLessThanOrEqual(3);
    }
    const out = events.filter((e) => e.value < -40 || e.value > 85);
    expect(out.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(out.every((e) => (e.value >= 90 && e.value <= 125) || (e.value <= -45 && e.value >= -60))).toBe(true);
  });
});
