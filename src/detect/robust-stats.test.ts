import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { MAD_NORMAL_CONSISTENCY, RollingMedianMad } from './robust-stats.js';

/** Reference: sort a copy and take the middle order statistic(s). */
function naiveMedian(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function naiveMad(xs: readonly number[]): number {
  const m = naiveMedian(xs);
  return MAD_NORMAL_CONSISTENCY * naiveMedian(xs.map((x) => Math.abs(x - m)));
}

describe('RollingMedianMad, hand-computed values', () => {
  it('gives the median and 1.4826 · MAD of a small window', () => {
    const w = new RollingMedianMad(5);
    for (const x of [1, 2, 3, 4, 100]) w.push(x);
    expect(w.median()).toBe(3);
    // |x − 3| = 2, 1, 0, 1, 97 → median 1.
    expect(w.mad()).toBeCloseTo(1.4826, 12);
  });

  it('averages the two middle values for an even count', () => {
    const w = new RollingMedianMad(4);
    for (const x of [10, 0, 4, 6]) w.push(x);
    expect(w.median()).toBe(5);
    // |x − 5| = 5, 5, 1, 1 → median (1 + 5) / 2 = 3.
    expect(w.mad()).toBeCloseTo(3 * 1.4826, 12);
  });

  it('evicts the oldest value and returns it', () => {
    const w = new RollingMedianMad(3);
    expect(w.push(7)).toBeUndefined();
    expect(w.push(1)).toBeUndefined();
    expect(w.push(4)).toBeUndefined();
    expect(w.count).toBe(3);
    expect(w.push(9)).toBe(7);
    expect(w.push(9)).toBe(1);
    // Window is now 4, 9, 9.
    expect(w.median()).toBe(9);
    expect(w.count).toBe(3);
    // |x − 9| = 5, 0, 0 → 0.
    expect(w.mad()).toBe(0);
  });

  it('is unmoved by a minority of outliers (50 % breakdown)', () => {
    const w = new RollingMedianMad(9);
    for (const x of [1, 1, 1, 1, 1, 1e9, -1e9, 1e9, -1e9]) w.push(x);
    expect(w.median()).toBe(1);
    expect(w.mad()).toBe(0);
  });

  it('estimates σ for normal data (consistency factor)', () => {
    const rng = createRng(7);
    const w = new RollingMedianMad(256);
    for (let i = 0; i < 256; i++) w.push(3 * rng.normal());
    // σ = 3; the MAD's standard error at n = 256 is about 1.67 σ / √n ≈ 0.31.
    expect(w.mad()).toBeGreaterThan(3 - 1);
    expect(w.mad()).toBeLessThan(3 + 1);
  });

  it('clears, and rejects empty queries, non-finite values and bad capacities', () => {
    const w = new RollingMedianMad(2);
    w.push(1);
    w.clear();
    expect(w.count).toBe(0);
    expect(() => w.median()).toThrow(RangeError);
    expect(() => w.mad()).toThrow(RangeError);
    expect(() => w.push(Number.NaN)).toThrow(RangeError);
    expect(() => w.push(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    w.push(2);
    expect(w.median()).toBe(2);
    expect(() => new RollingMedianMad(0)).toThrow(RangeError);
    expect(() => new RollingMedianMad(257)).toThrow(RangeError);
    expect(() => new RollingMedianMad(2.5)).toThrow(RangeError);
  });
});

describe('RollingMedianMad matches a sort-based reference', () => {
  // Values drawn from a small set as well as wide doubles, so that ties and duplicates are exercised.
  const value = fc.oneof(
    fc.integer({ min: -5, max: 5 }),
    fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
  );

  it('after every push, for any window length and stream', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 256 })), fc.array(value, { minLength: 1, maxLength: 500, size: 'max' }), (cap, xs) => {
        const w = new RollingMedianMad(cap);
        for (let i = 0; i < xs.length; i++) {
          const evicted = w.push(xs[i]!);
          const win = xs.slice(Math.max(0, i + 1 - cap), i + 1);
          // `+ 0` folds −0 into 0: the reference and the structure may meet a zero from different sides.
          const got = [evicted, w.count, w.median() + 0, w.mad() + 0];
          const want = [i >= cap ? xs[i - cap] : undefined, win.length, naiveMedian(win) + 0, naiveMad(win) + 0];
          if (got.some((g, j) => g !== want[j])) expect({ i, got }).toEqual({ i, got: want });
        }
      }),
      { numRuns: 60 },
    );
  });
});
