import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromRows } from '../core/matrix.js';
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
