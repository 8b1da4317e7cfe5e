import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromRows, matrix } from '../core/matrix.js';
import { createRng } from '../core/rng.js';
import { binColumns, binThreshold, binValue, fitBinMapper, MISSING_BIN } from './binning.js';

describe('fitBinMapper', () => {
  it('puts edges at midpoints between the distinct values of a low-cardinality feature', () => {
    const m = fitBinMapper(fromRows([[1], [3], [3], [7], [Number.NaN]]));
    expect(Array.from(m.edges[0])).toEqual([2, 5]);
    expect(m.nBins[0]).toBe(3);
  });

  it('uses about-equal-frequency quantile bins for a continuous feature', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => [i]);
    const m = fitBinMapper(fromRows(rows), 10);
    expect(m.nBins[0]).toBe(10);
    const bins = binColumns(fromRows(rows), m);
    const counts = new Array<number>(10).fill(0);
    for (const b of bins) counts[b]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThanOrEqual(1);
  });

  it('never exceeds 255 value bins, and a constant feature has one bin', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => [Math.sin(i) * 1e6, 4]);
    const m = fitBinMapper(fromRows(rows));
    expect(m.nBins[0]).toBeLessThanOrEqual(255);
    expect(m.nBins[0]).toBeGreaterThan(200);
    expect(m.nBins[1]).toBe(1);
  });

  it('bins NaN to the missing bin and ±Infinity to the end bins', () => {
    const m = fitBinMapper(fromRows([[0], [1], [2], [Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY]]));
    expect(Array.from(m.edges[0])).toEqual([0.5, 1.5]);
    expect(binValue(m.edges[0], Number.NaN)).toBe(MISSING_BIN);
    expect(binValue(m.edges[0], Number.NEGATIVE_INFINITY)).toBe(0);
    expect(binValue(m.edges[0], Number.POSITIVE_INFINITY)).toBe(2);
    expect(binThreshold(m, 0, 2)).toBe(Number.POSITIVE_INFINITY);
  });

  it('is deterministic for a seed when subsampling', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => [Math.cos(i * 7.3) * 100]);
    const a = fitBinMapper(fromRows(rows), 255, 1000, 5);
    const b = fitBinMapper(fromRows(rows), 255, 1000, 5);
    expect(a.edges[0]).toEqual(b.edges[0]);
  });
});

describe('binValue (property)', () => {
  it('bin ≤ t exactly when v ≤ edges[t], for any values and thresholds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 300 }),
        fc.double(),
        (vals, v) => {
          const m = fitBinMapper(fromRows(vals.map((x) => [x])));
          const e = m.edges[0];
          const b = binValue(e, v);
          if (Number.isNaN(v)) return b === MISSING_BIN;
          for (let t = 0; t < m.nBins[0]; t++) {
            if (b <= t !== v <= binThreshold(m, 0, t)) return false;
          }
          return b >= 0 && b < m.nBins[0];
        },
      ),
    );
  });
});

/**
 * Reference binning written the plain way (a JavaScript Set of distinct finite values, a full sort, one binary
 * search per value): the definition that the fast paths of fitBinMapper / binColumns must reproduce exactly.
 */
function referenceEdges(col: number[], maxBins: number): number[] {
  const finite = col.filter((v) => Number.isFinite(v));
  const sorted = Float64Array.from(finite).sort();
  const distinct = [...new Set(finite)].sort((a, b) => a - b);
  const mid = (a: number, b: number) => {
    const m = a + (b - a) / 2;
    return m >= b ? a : m;
  };
  const out: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) out.push(mid(distinct[i - 1], distinct[i]));
    return out;
  }
  const n = sorted.length;
  for (let i = 1; i < maxBins; i++) {
    const pos = (i / maxBins) * (n - 1);
    const q = mid(sorted[Math.floor(pos)], sorted[Math.ceil(pos)]);
    if (q < sorted[n - 1] && (out.length === 0 || q > out[out.length - 1])) out.push(q);
  }
  return out;
}

describe('fitBinMapper / binColumns fast paths', () => {
  it('give the reference edges and bins: few and many distinct values, runs, -0, NaN, ±Infinity, many columns', () => {
    const rng = createRng(11);
    const nRows = 3001;
    const nCols = 19; // more than one 8-column gather group, not a multiple of 8
    const kinds = (f: number, r: number): number => {
      const u = rng.next();
      if (u < 0.03) return Number.NaN;
      if (u < 0.04) return u < 0.035 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
      switch (f % 5) {
        case 0:
          return rng.int(3) === 0 ? -0 : 0; // constant apart from the sign of zero
        case 1:
          return rng.int(40); // few distinct integers
        case 2:
          return (rng.next() - 0.5) * 1e6; // continuous
        case 3:
          return r < nRows / 2 ? 7 : rng.int(300); // long run, then > 255 distinct values
        default:
          return Math.round(rng.next() * 100) / 100; // rates with two decimals
      }
    };
    const data = new Float64Array(nRows * nCols);
    for (let r = 0; r < nRows; r++) for (let f = 0; f < nCols; f++) data[r * nCols + f] = kinds(f, r);
    const X = matrix(data, nRows, nCols);
    for (const maxBins of [255, 16]) {
      const m = fitBinMapper(X, maxBins, 200_000, 0);
      const bins = binColumns(X, m);
      for (let f = 0; f < nCols; f++) {
        const col = Array.from({ length: nRows }, (_, r) => data[r * nCols + f]);
        expect(Array.from(m.edges[f])).toEqual(referenceEdges(col, maxBins));
        const want = Uint8Array.from(col, (v) => binValue(m.edges[f], v));
        expect(bins.subarray(f * nRows, (f + 1) * nRows)).toEqual(want);
      }
    }
  });
});
