import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertGate, GenerationalCache, hashString32, SaturatingIntSet, ScoreDetector, scoreSeverity } from './packet-detection.js';

describe('hashString32 (FNV-1a 32)', () => {
  it('matches the published FNV-1a test vectors (draft-eastlake-fnv, test suite)', () => {
    expect(hashString32('')).toBe(0x811c9dc5);
    expect(hashString32('a')).toBe(0xe40c292c);
    expect(hashString32('foobar')).toBe(0xbf9cf968);
  });
  it('never returns 0 and always a uint32', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const h = hashString32(s);
        expect(Number.isInteger(h) && h > 0 && h <= 0xffffffff).toBe(true);
      }),
    );
  });
});

describe('SaturatingIntSet', () => {
  it('agrees with a Set up to its limit, then stops growing (oracle: Set)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 600 }), (limit, values) => {
        const s = new SaturatingIntSet(limit);
        const oracle = new Set<number>();
        for (const v of values) {
          const isNew = !oracle.has(v) && oracle.size < limit;
          expect(s.add(v)).toBe(isNew);
          if (isNew) oracle.add(v);
        }
        expect(s.size).toBe(oracle.size);
        expect(s.saturated).toBe(oracle.size >= limit);
        for (const v of oracle) expect(s.has(v)).toBe(true);
        expect(s.capacity).toBeLessThanOrEqual(Math.max(8, 2 ** Math.ceil(Math.log2(2 * limit))));
        s.clear();
        expect(s.size).toBe(0);
        for (const v of oracle) expect(s.has(v)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
  it('maps 0 to 1 and coerces to uint32', () => {
    const s = new SaturatingIntSet(4);
    expect(s.add(0)).toBe(true);
    expect(s.add(1)).toBe(false);
    expect(s.add(-1)).toBe(true); // 0xffffffff
    expect(s.has(0xffffffff)).toBe(true);
    expect(() => new SaturatingIntSet(0)).toThrow(RangeError);
  });
});

describe('GenerationalCache', () => {
  it('holds at most capacity entries, keeps keys used since the last rotation, and drops unused ones', () => {
    const dropped: number[] = [];
    const c = new GenerationalCache<string, number>(8, (v) => dropped.push(v));
    for (let i = 0; i < 4; i++) c.set(`k${i}`, i); // 4 = half: rotation, k0..k3 are old
    expect(c.get('k0')).toBe(0); // promoted
    for (let i = 4; i < 6; i++) c.set(`k${i}`, i); // young: k0 k4 k5
    expect(c.peek('k1')).toBe(1); // still in the old generation
    expect(dropped).toEqual([]);
    c.set('k6', 6); // young reaches 4: rotation drops the old generation (k1..k3); k0 was promoted
    expect(c.peek('k1')).toBeUndefined();
    expect(c.peek('k0')).toBe(0);
    expect(dropped.sort((a, b) => a - b)).toEqual([1, 2, 3]); // the promoted k0 is not reported as dropped
    for (let i = 7; i < 11; i++) c.set(`k${i}`, i); // next rotation: k0 k4 k5 k6 unused since, dropped
    expect(c.peek('k0')).toBeUndefined();
    expect(c.peek('k10')).toBe(10);
    expect(c.size).toBeLessThanOrEqual(c.capacity);
  });
  it('property: size never exceeds capacity and a just-set key is always found', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 100 })), { maxLength: 400 }), (cap, ops) => {
        const c = new GenerationalCache<number, number>(cap);
        for (const [isSet, k] of ops) {
          if (isSet) {
            c.set(k, k * 2);
            expect(c.get(k)).toBe(k * 2);
          } else {
            const v = c.get(k);
            if (v !== undefined) expect(v).toBe(k * 2);
          }
          expect(c.size).toBeLessThanOrEqual(c.capacity);
        }
      }),
    );
  });
});

describe('AlertGate', () => {
  it('passes the first detection, gates repeats within the interval, lets escalations and later repeats through', () => {
    const g = new AlertGate({ reAlertInterval: 300, maxKeys: 100 });
    expect(g.admit('k', 1000, 'low')).toBe(true);
    expect(g.admit('k', 1100, 'low')).toBe(false);
    expect(g.admit('k', 1100, 'medium')).toBe(true); // escalation
    expect(g.admit('k', 1200, 'low')).toBe(false); // lower, within 300 s of the medium
    expect(g.admit('k', 1399.9, 'medium')).toBe(false);
    expect(g.admit('k', 1400, 'low')).toBe(true); // 300 s after the last pass
    expect(g.admit('k', 900, 'low')).toBe(false); // out of order: never re-alerts
    expect(g.admit('other', 1100, 'low')).toBe(true);
  });
  it('stays bounded', () => {
    const g = new AlertGate({ reAlertInterval: 1, maxKeys: 10 });
    for (let i = 0; i < 1000; i++) g.admit(`k${i}`, i, 'low');
    expect(g.size).toBeLessThanOrEqual(10);
    expect(() => new AlertGate({ reAlertInterval: -1 })).toThrow(RangeError);
    expect(() => new AlertGate({ maxKeys: 1 })).toThrow(RangeError);
  });
});

describe('scoreSeverity and ScoreDetector (Online Anomaly)', () => {
  it('maps score / threshold to the documented severities', () => {
    expect(scoreSeverity(0.99, 1)).toBeNull();
    expect(scoreSeverity(1, 1)).toBe('low');
    expect(scoreSeverity(1.99, 1)).toBe('low');
    expect(scoreSeverity(2, 1)).toBe('medium');
    expect(scoreSeverity(1e9, 1)).toBe('medium'); // never high by default
    expect(scoreSeverity(10, 1, { highRatio: 10 })).toBe('high');
    expect(scoreSeverity(Number.NaN, 1)).toBeNull();
    expect(scoreSeverity(5, 0)).toBeNull();
    expect(scoreSeverity(5, -1)).toBeNull();
  });
  it('de-duplicates per (origH, respH) and carries no techniques', () => {
    const d = new ScoreDetector();
    const a = d.observe(10, '10.0.0.1', '10.0.0.2', 0.5, 0.2, 'C1');
    expect(a).toMatchObject({ reason: 'Online Anomaly', severity: 'medium', origH: '10.0.0.1', respH: '10.0.0.2', uid: 'C1', techniques: [] });
    expect(d.observe(11, '10.0.0.1', '10.0.0.2', 0.5, 0.2)).toBeNull();
    expect(d.observe(11, '10.0.0.1', '10.0.0.3', 0.3, 0.2)?.severity).toBe('low');
    expect(d.observe(11, '10.0.0.4', undefined, 0.1, 0.2)).toBeNull();
    expect(() => new ScoreDetector({ mediumRatio: 1 })).toThrow(RangeError);
  });
});
