import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stratifiedHoldout, stratifiedKFold, timeOrderedSplit } from './splits.js';

const labels = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 300 }).map((a) => Int32Array.from(a));

function counts(y: Int32Array, rows: Int32Array, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (const i of rows) c[y[i]]++;
  return c;
}

describe('stratifiedKFold', () => {
  it('puts every row in exactly one test fold and keeps class counts within one row', () => {
    fc.assert(
      fc.property(labels, fc.integer({ min: 2, max: 10 }), fc.integer(), (y, k, seed) => {
        const classCounts = counts(y, Int32Array.from(y.keys()), 4);
        if (k > y.length || classCounts.every((c) => c < k)) {
          expect(() => stratifiedKFold(y, k, seed)).toThrow(expect.objectContaining({ code: 'IPQ-D012' }));
          return;
        }
        const folds = stratifiedKFold(y, k, seed);
        expect(folds).toHaveLength(k);
        const seen = new Uint8Array(y.length);
        for (const f of folds) {
          for (const i of f.test) seen[i]++;
          expect(f.train.length + f.test.length).toBe(y.length);
          const inTest = new Set(f.test);
          for (const i of f.train) expect(inTest.has(i)).toBe(false);
          const c = counts(y, f.test, 4);
          for (let cls = 0; cls < 4; cls++) {
            expect(Math.abs(c[cls] - classCounts[cls] / k)).toBeLessThan(1);
          }
          expect(Math.abs(f.test.length - y.length / k)).toBeLessThan(1);
        }
        expect(seen.every((s) => s === 1)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const y = Int32Array.from({ length: 200 }, (_, i) => i % 3);
    expect(stratifiedKFold(y, 5, 42)).toEqual(stratifiedKFold(y, 5, 42));
    expect(stratifiedKFold(y, 5, 42)[0].test).not.toEqual(stratifiedKFold(y, 5, 43)[0].test);
  });

  it('rejects invalid k', () => {
    const y = Uint8Array.of(0, 1, 0, 1);
    for (const k of [1, 2.5, 5, Number.NaN]) expect(() => stratifiedKFold(y, k, 1)).toThrow(expect.objectContaining({ code: 'IPQ-D012' }));
  });
});

describe('stratifiedHoldout', () => {
  it('partitions the rows and keeps each class near the fraction', () => {
    fc.assert(
      fc.property(labels, fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer(), (y, f, seed) => {
        let split;
        try {
          split = stratifiedHoldout(y, f, seed);
        } catch (e) {
          expect(e).toMatchObject({ code: 'IPQ-D012' });
          return;
        }
        expect(split.train.length + split.test.length).toBe(y.length);
        expect(new Set([...split.train, ...split.test]).size).toBe(y.length);
        const all = counts(y, Int32Array.from(y.keys()), 4);
        const tr = counts(y, split.train, 4);
        for (let c = 0; c < 4; c++) {
          if (all[c] >= 2) {
            expect(tr[c]).toBeGreaterThanOrEqual(1);
            expect(tr[c]).toBeLessThanOrEqual(all[c] - 1);
            expect(Math.abs(tr[c] - f * all[c])).toBeLessThanOrEqual(Math.max(1, 0.5 + 1e-9));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('rejects fractions outside (0, 1)', () => {
    for (const f of [0, 1, -0.1, 1.5, Number.NaN]) expect(() => stratifiedHoldout(Uint8Array.of(0, 1, 0, 1), f, 1)).toThrow(expect.objectContaining({ code: 'IPQ-D012' }));
  });
});

describe('timeOrderedSplit', () => {
  it('trains on the earliest rows, ties in file order', () => {
    const t = Float64Array.of(5, 1, 3, 3, Number.NaN, 0);
    const s = timeOrderedSplit(t, 0.5);
    expect(Array.from(s.train)).toEqual([5, 1, 2]);
    expect(Array.from(s.test)).toEqual([3, 0, 4]);
  });

  it('never puts a later row in train than any test row', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 2, maxLength: 100 }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), (a, f) => {
        const t = Float64Array.from(a);
        let s;
        try {
          s = timeOrderedSplit(t, f);
        } catch (e) {
          expect(e).toMatchObject({ code: 'IPQ-D012' });
          return;
        }
        const maxTrain = Math.max(...Array.from(s.train, (i) => t[i]));
        const minTest = Math.min(...Array.from(s.test, (i) => t[i]));
        expect(maxTrain).toBeLessThanOrEqual(minTest);
        expect(s.train.length).toBe(Math.round(f * t.length));
      }),
    );
  });
});
