import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromRows } from '../core/matrix.js';
import type { Matrix } from '../core/matrix.js';
import { smote } from './smote.js';

const row = (X: Matrix, i: number): number[] => Array.from(X.data.subarray(i * X.nCols, (i + 1) * X.nCols));
const dist2 = (a: number[], b: number[]): number => a.reduce((s, v, f) => s + (v - b[f]) ** 2, 0);

/**
 * Independent check: `s` lies on a segment from an original row `a` of its class to one of the k nearest
 * neighbours of `a` within the class (brute force here), at u in [0, 1].
 */
function onNeighbourSegment(s: number[], members: number[][], k: number): boolean {
  for (let ai = 0; ai < members.length; ai++) {
    const a = members[ai];
    const others = members.filter((_, j) => j !== ai).map((b) => dist2(a, b)).sort((p, q) => p - q);
    const kth = others[Math.min(k, others.length) - 1];
    for (let bi = 0; bi < members.length; bi++) {
      if (bi === ai) continue;
      const b = members[bi];
      if (dist2(a, b) > kth + 1e-12) continue;
      // Find u from the largest-difference coordinate, then check every coordinate.
      let f = 0;
      for (let g = 1; g < a.length; g++) if (Math.abs(b[g] - a[g]) > Math.abs(b[f] - a[f])) f = g;
      const u = b[f] === a[f] ? 0 : (s[f] - a[f]) / (b[f] - a[f]);
      if (u < -1e-12 || u > 1 + 1e-12) continue;
      if (a.every((v, g) => Math.abs(v + u * (b[g] - v) - s[g]) <= 1e-9 * (1 + Math.abs(s[g])))) return true;
    }
  }
  return false;
}

describe('smote', () => {
  it('adds synthetic points on segments between a minority row and one of its k nearest neighbours', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 })), { minLength: 2, maxLength: 12 }),
        fc.integer({ min: 3, max: 25 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        (minority, nMajority, k, seed) => {
          const rows = [...Array.from({ length: nMajority }, (_, i) => [100 + i, 100 - i]), ...minority];
          const y = Int32Array.from(rows, (_, i) => (i < nMajority ? 0 : 1));
          const X = fromRows(rows);
          const r = smote(X, y, { seed, k, targetCount: nMajority + 3, classes: [1] });
          const need = Math.max(0, nMajority + 3 - minority.length);
          expect(r.X.nRows).toBe(rows.length + need);
          expect(Array.from(r.added)).toEqual([0, need]);
          // Originals first, unchanged.
          expect(Array.from(r.X.data.subarray(0, X.data.length))).toEqual(Array.from(X.data));
          for (let i = rows.length; i < r.X.nRows; i++) {
            expect(r.y[i]).toBe(1);
            expect(onNeighbourSegment(row(r.X, i), minority, k)).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is deterministic for a seed and brings every class up to the majority by default', () => {
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 60; i++) {
      rows.push([i % 7, i % 11, i % 13]);
      y.push(i < 40 ? 0 : i < 52 ? 1 : 2);
    }
    const X = fromRows(rows);
    const a = smote(X, Int32Array.from(y), { seed: 7 });
    const b = smote(X, Int32Array.from(y), { seed: 7 });
    const c = smote(X, Int32Array.from(y), { seed: 8 });
    expect(a.X.data).toEqual(b.X.data);
    expect(a.y).toEqual(b.y);
    expect(a.X.data).not.toEqual(c.X.data);
    expect(Array.from(a.added)).toEqual([0, 28, 32]);
    const half = smote(X, Int32Array.from(y), { seed: 7, ratio: 0.5 });
    expect(Array.from(half.added)).toEqual([0, 8, 12]);
    const only2 = smote(X, Int32Array.from(y), { seed: 7, classes: [2] });
    expect(Array.from(only2.added)).toEqual([0, 0, 32]);
  });

  it('copies non-finite components from the base row and leaves one-row classes alone', () => {
    const X = fromRows([
      [0, 0],
      [1, 1],
      [2, 2],
      [5, Number.NaN],
      [6, 1],
      [7, Infinity],
      [50, 50],
    ]);
    const y = Int32Array.of(0, 0, 0, 1, 1, 1, 2);
    const r = smote(X, y, { seed: 1, k: 2, targetCount: 6 });
    expect(Array.from(r.added)).toEqual([3, 3, 0]);
    for (let i = 7; i < r.X.nRows; i++) {
      const [a, b] = row(r.X, i);
      expect(Number.isFinite(a)).toBe(true);
      if (r.y[i] === 1) expect(a >= 5 && a <= 7).toBe(true);
      if (r.y[i] === 1 && !Number.isFinite(b) && !Number.isNaN(b)) expect(b).toBe(Infinity);
    }
  });

  it('caps the neighbour search on large classes and stays on segments', () => {
    const n = 400;
    const rows = Array.from({ length: n }, (_, i) => [Math.sin(i), Math.cos(i * 1.3)]);
    const y = Int32Array.from({ length: n }, (_, i) => (i < 300 ? 0 : 1));
    const r = smote(fromRows(rows), y, { seed: 3, maxCandidates: 20, k: 3 });
    expect(r.added[1]).toBe(200);
    // The capped search finds neighbours within a subset, so only "on a segment between two class rows" holds.
    const members = rows.slice(300);
    for (let i = n; i < r.X.nRows; i++) expect(onNeighbourSegment(row(r.X, i), members, members.length)).toBe(true);
  });

  it('rejects bad options', () => {
    const X = fromRows([[0], [1]]);
    expect(() => smote(X, Int32Array.of(0), { seed: 1 })).toThrow(RangeError);
    expect(() => smote(X, Int32Array.of(0, 1), { seed: 1, k: 0 })).toThrow(RangeError);
    expect(() => smote(X, Int32Array.of(0, 1), { seed: 1, ratio: -1 })).toThrow(RangeError);
  });
});
