import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SensorRiskTracker } from './sensor-risk.js';

const T0 = Date.UTC(2025, 0, 1);
const H = 3_600_000;

describe('SensorRiskTracker: decayed level and classes', () => {
  it('halves the level every half-life (hand-computed)', () => {
    const t = new SensorRiskTracker();
    expect(t.update('s', 1, T0, true)).toEqual({ riskClass: 'Medium', level: 1 });
    // 1 · 2^−1 + 1 = 1.5
    expect(t.update('s', 1, T0 + H, true)).toEqual({ riskClass: 'Medium', level: 1.5 });
    // 1.5 · 2^−2 = 0.375
    expect(t.update('s', 0, T0 + 3 * H, true)).toEqual({ riskClass: 'Low', level: 0.375 });
    expect(t.riskAt('s', T0 + 4 * H)).toEqual({ riskClass: 'Low', level: 0.1875 });
  });

  it('classes Low below mediumAt, Medium below highAt, High from highAt', () => {
    const t = new SensorRiskTracker();
    expect(t.update('a', 0.9, T0, true).riskClass).toBe('Low');
    expect(t.update('b', 0.5, T0, true).riskClass).toBe('Low');
    expect(t.update('b', 0.5, T0, true)).toEqual({ riskClass: 'Medium', level: 1 });
    expect(t.update('b', 1, T0, true).riskClass).toBe('Medium');
    expect(t.update('b', 1, T0, true)).toEqual({ riskClass: 'High', level: 3 });
    const custom = new SensorRiskTracker({ mediumAt: 2, highAt: 5 });
    expect(custom.update('x', 1.5, T0, true).riskClass).toBe('Low');
    expect(custom.update('x', 1.5, T0, true).riskClass).toBe('Medium');
  });

  it('makes an out-of-range device High at once, for log2(4/3) h, and Low 2 h after', () => {
    const t = new SensorRiskTracker();
    expect(t.update('s', 1, T0, true, true)).toEqual({ riskClass: 'High', level: 4 });
    const highFor = Math.log2(4 / 3) * H; // ≈ 24.9 min
    expect(t.riskAt('s', T0 + highFor - 1000).riskClass).toBe('High');
    expect(t.riskAt('s', T0 + highFor + 1000).riskClass).toBe('Medium');
    expect(t.riskAt('s', T0 + 2 * H - 1000).riskClass).toBe('Medium');
    expect(t.update('s', 0, T0 + 2 * H + 1000, true).riskClass).toBe('Low');
    // 4 · 2^(−Δ/H) = 1 at Δ = 2 h exactly.
    expect(t.lowSinceMs('s')).toBe(T0 + 2 * H);
  });

  it('does not run time backwards for out-of-order readings', () => {
    const t = new SensorRiskTracker();
    t.update('s', 2, T0, true);
    expect(t.update('s', 0, T0 - H, true)).toEqual({ riskClass: 'Medium', level: 2 });
    expect(t.update('s', 0, T0 + H, true).level).toBe(1);
  });

  it('rejects bad scores and options', () => {
    const t = new SensorRiskTracker();
    expect(() => t.update('s', -0.1, T0, true)).toThrow(RangeError);
    expect(() => t.update('s', Number.NaN, T0, true)).toThrow(RangeError);
    expect(() => t.update('s', 0, Number.NaN, true)).toThrow(RangeError);
    expect(() => new SensorRiskTracker({ halfLifeMs: 0 })).toThrow(RangeError);
    expect(() => new SensorRiskTracker({ mediumAt: 3, highAt: 3 })).toThrow(RangeError);
    expect(() => new SensorRiskTracker({ maxDevices: 0 })).toThrow(RangeError);
  });
});

describe('SensorRiskTracker: lowSinceMs', () => {
  it('is the first reading for a device that was always Low, null when unknown', () => {
    const t = new SensorRiskTracker();
    expect(t.lowSinceMs('s')).toBeNull();
    t.update('s', 0, T0, true);
    t.update('s', 0.3, T0 + 1000, true);
    t.update('s', 0, T0 + 2 * H, true);
    expect(t.lowSinceMs('s')).toBe(T0);
  });

  it('is null while Medium or High, then the crossing time below mediumAt', () => {
    const t = new SensorRiskTracker();
    t.update('s', 0, T0, true);
    t.update('s', 2, T0 + H, true); // Medium: level 2
    expect(t.lowSinceMs('s')).toBeNull();
    // 2 · 2^(−Δ/H) = 1 at Δ = 1 h: Low from T0 + 2 h.
    expect(t.lowSinceMs('s', T0 + 90 * 60_000)).toBeNull();
    expect(t.lowSinceMs('s', T0 + 5 * H)).toBe(T0 + 2 * H);
    expect(t.lowSinceMs('s')).toBeNull(); // as of the last update
    t.update('s', 0, T0 + 5 * H, true);
    expect(t.lowSinceMs('s')).toBe(T0 + 2 * H);
    // A new anomaly that keeps it Low does not move the time.
    t.update('s', 0.5, T0 + 6 * H, true);
    expect(t.lowSinceMs('s')).toBe(T0 + 2 * H);
    t.update('s', 1, T0 + 6 * H, true);
    expect(t.lowSinceMs('s')).toBeNull();
  });
});

describe('SensorRiskTracker: state', () => {
  it('evicts the least recently updated device beyond maxDevices', () => {
    const t = new SensorRiskTracker({ maxDevices: 2 });
    t.update('a', 2, T0, true);
    t.update('b', 2, T0, true);
    t.update('a', 0, T0 + 1, true); // a is now more recent than b
    t.update('c', 2, T0 + 2, true); // evicts b
    expect(t.size).toBe(2);
    expect(t.riskAt('b', T0 + 3)).toEqual({ riskClass: 'Low', level: 0 });
    expect(t.riskAt('a', T0 + 1).riskClass).toBe('Medium');
    expect(t.lowSinceMs('b')).toBeNull();
  });

  it('commit = false changes nothing (property: a probed tracker and an unprobed twin agree)', () => {
    const op = fc.record({
      key: fc.constantFrom('a', 'b', 'c', 'd'),
      score: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
      dtMs: fc.integer({ min: -H, max: 3 * H }),
      outOfRange: fc.boolean(),
      commit: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const probed = new SensorRiskTracker({ maxDevices: 3 });
        const twin = new SensorRiskTracker({ maxDevices: 3 });
        let ts = T0;
        for (const o of ops) {
          ts += Math.max(0, o.dtMs);
          const when = o.dtMs < 0 ? ts + o.dtMs : ts;
          if (o.commit) {
            expect(probed.update(o.key, o.score, when, true, o.outOfRange)).toEqual(twin.update(o.key, o.score, when, true, o.outOfRange));
          } else {
            const a = probed.update(o.key, o.score, when, false, o.outOfRange);
            expect(probed.update(o.key, o.score, when, false, o.outOfRange)).toEqual(a);
          }
          for (const k of ['a', 'b', 'c', 'd']) {
            expect(probed.lowSinceMs(k)).toBe(twin.lowSinceMs(k));
            expect(probed.riskAt(k, ts)).toEqual(twin.riskAt(k, ts));
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
