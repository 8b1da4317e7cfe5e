import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { defaultInstancesPerKind, ENTITY_SEPARATION_MS, SCENARIO_KINDS, scheduleScenarios, type ScheduleOptions } from './scenarios.js';
import { sensorIdentity, sensorOffsetMs } from './temperature-sensors.js';

const START = Date.UTC(2025, 6, 1);
const BASE: ScheduleOptions = { startMs: START, durationS: 120, robots: 20, sensors: 100, sensorIntervalMs: 1000, kinds: SCENARIO_KINDS };

describe('defaultInstancesPerKind', () => {
  it('is ⌊0.75 · duration / 20 s⌋ clamped to 4…20', () => {
    expect(defaultInstancesPerKind(120)).toBe(4);
    expect(defaultInstancesPerKind(10)).toBe(4);
    expect(defaultInstancesPerKind(200)).toBe(7);
    expect(defaultInstancesPerKind(533)).toBe(19);
    expect(defaultInstancesPerKind(3600)).toBe(20);
  });
});

describe('scheduleScenarios', () => {
  it('schedules 4 instances of every kind in a 120 s run, after the 30 s warm-up and before the end', () => {
    const s = scheduleScenarios(BASE, createRng(1));
    for (const k of SCENARIO_KINDS) expect(s.filter((x) => x.kind === k).map((x) => x.id).sort()).toEqual([1, 2, 3, 4].map((n) => `${k}-${n}`));
    for (const x of s) {
      expect(x.start_ms).toBeGreaterThanOrEqual(START + 30_000);
      expect(x.end_ms).toBeLessThan(START + 120_000);
      expect(x.end_ms).toBeGreaterThanOrEqual(x.start_ms);
    }
    expect(s.map((x) => x.index)).toEqual(s.map((_, i) => i));
    expect(s.map((x) => x.start_ms)).toEqual(s.map((x) => x.start_ms).sort((a, b) => a - b));
  });

  it('spreads the instances of a kind: instance i starts in the i-th of n equal slots of [warm-up end, run end − window]', () => {
    const s = scheduleScenarios(BASE, createRng(2));
    for (const x of s) {
      const sensor = x.kind.startsWith('sensor_');
      const room = 90_000 - (sensor ? 1000 : 0) - 1 - (x.end_ms - x.start_ms);
      const u = (x.start_ms - START - 30_000) / room;
      expect(u).toBeGreaterThanOrEqual(x.ordinal / 4);
      expect(u).toBeLessThan((x.ordinal + 1) / 4 + (sensor ? 1000 / room : 0)); // sensors move onto their reading grid (< 1 s)
    }
  });

  it('is deterministic in the rng and keeps the windows of kinds within their bounds', () => {
    expect(scheduleScenarios(BASE, createRng(5))).toEqual(scheduleScenarios(BASE, createRng(5)));
    expect(scheduleScenarios(BASE, createRng(5))).not.toEqual(scheduleScenarios(BASE, createRng(6)));
    const s = scheduleScenarios({ ...BASE, durationS: 600 }, createRng(5));
    const len = (k: string) => s.filter((x) => x.kind === k).map((x) => x.end_ms - x.start_ms);
    for (const d of len('port_scan')) expect(d >= 3000 && d <= 8000).toBe(true);
    for (const d of len('dos_burst')) expect(d >= 2000 && d <= 5000).toBe(true);
    for (const d of len('sensor_drift')) expect(d >= 60_000 && d <= 120_000).toBe(true);
    for (const d of len('slow_and_low')) expect(d >= 60_000 && d <= 120_000).toBe(true);
    for (const d of len('sensor_stuck')) expect([29_000, 59_000].every((b, i) => (i === 0 ? d >= b : d <= b)) && d % 1000 === 0).toBe(true);
    for (const d of len('sensor_spike')) expect([0, 1000, 2000]).toContain(d);
    expect(s.filter((x) => x.kind === 'port_scan').length).toBe(20);
  });

  it('puts sensor windows on the sensor reading grid and names entities like entityOf', () => {
    const s = scheduleScenarios({ ...BASE, sensorIntervalMs: 5000, durationS: 600 }, createRng(3));
    for (const x of s.filter((y) => y.kind.startsWith('sensor_'))) {
      expect((x.start_ms - START - sensorOffsetMs(x.target, 100, 5000)) % 5000).toBe(0);
      const id = sensorIdentity(x.target, 100);
      expect(x.entity).toBe(`sensor:${id.site}/${id.id}`);
    }
    for (const x of s.filter((y) => y.kind.startsWith('robot') || y.kind === 'unusual_task_switch')) expect(x.entity).toMatch(/^robot:robot-\d\d$/);
  });

  it('property: instances on one robot or sensor are ≥ ENTITY_SEPARATION_MS apart, network attackers never repeat', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 60, max: 1800 }), fc.integer({ min: 1, max: 30 }), (seed, durationS, n) => {
        const s = scheduleScenarios({ ...BASE, durationS, robots: n, sensors: n }, createRng(seed));
        const by = new Map<string, [number, number][]>();
        for (const x of s) by.set(x.entity, [...(by.get(x.entity) ?? []), [x.start_ms, x.end_ms]]);
        for (const [entity, w] of by) {
          if (entity.startsWith('ip:')) {
            if (w.length !== 1) return false;
            continue;
          }
          w.sort((a, b) => a[0] - b[0]);
          for (let i = 1; i < w.length; i++) if (w[i][0] - w[i - 1][1] <= ENTITY_SEPARATION_MS) return false;
        }
        return s.every((x) => x.start_ms >= START + durationS * 250 && x.end_ms < START + durationS * 1000);
      }),
      { numRuns: 60 },
    );
  });

  it('leaves out kinds whose shortest window does not fit, and kinds without entities', () => {
    const s = scheduleScenarios({ ...BASE, durationS: 40 }, createRng(1)); // 30 s of attack time
    const kinds = new Set(s.map((x) => x.kind));
    for (const k of ['slow_and_low', 'sensor_drift', 'sensor_stuck']) expect(kinds.has(k as never)).toBe(false);
    for (const k of ['port_scan', 'sensor_spike', 'unusual_task_switch']) expect(kinds.has(k as never)).toBe(true);
    const none = scheduleScenarios({ ...BASE, robots: 0, sensors: 0 }, createRng(1));
    expect(none.some((x) => !x.entity.startsWith('ip:'))).toBe(false);
    expect(scheduleScenarios({ ...BASE, kinds: ['port_scan'], instancesPerKind: 9 }, createRng(1)).length).toBe(9);
    expect(() => scheduleScenarios({ ...BASE, instancesPerKind: -1 }, createRng(1))).toThrow(RangeError);
  });
});
