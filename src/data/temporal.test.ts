import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataFile } from './_test-data.js';
import { addTemporalFeatures, temporalFeatureNames } from './temporal.js';
import { loadTonIot } from './ton-iot.js';
import type { Table } from './table.js';

const NaN_ = Number.NaN;

function values(t: Table, name: string): number[] {
  const c = t.columns.find((x) => x.name === name);
  if (c === undefined || c.kind !== 'numeric') throw new Error(`no numeric column ${name}`);
  return Array.from(c.values);
}

describe('addTemporalFeatures', () => {
  // File order: times 0, 1, 1, 5, 3 → time order: rows 0, 1, 2, 4, 3 (ties in file order).
  const table: Table = {
    nRows: 5,
    columns: [
      { kind: 'numeric', name: 'v', values: Float64Array.of(10, 12, 12, 20, 11) },
      { kind: 'categorical', name: 'c', codes: Int32Array.of(0, 0, 1, 1, 1), categories: ['a', 'b'] },
    ],
  };
  const time = Float64Array.of(0, 1, 1, 5, 3);

  it('computes the documented features by hand, rows in the original order', () => {
    const out = addTemporalFeatures(table, { time, windows: [2], rateWindowsSec: [1, 10] });
    expect(out.columns.slice(0, 2)).toEqual(table.columns);
    expect(out.columns.slice(2).map((c) => c.name)).toEqual(temporalFeatureNames(table.columns, { windows: [2], rateWindowsSec: [1, 10] }));
    //                             row: 0     1    2    3    4
    expect(values(out, 'v__delta')).toEqual([NaN_, 2, 0, 9, -1]);
    expect(values(out, 'v__run')).toEqual([1, 1, 2, 1, 1]);
    expect(values(out, 'v__mean_w2')).toEqual([NaN_, 10, 11, 11.5, 12]);
    expect(values(out, 'v__std_w2')).toEqual([NaN_, 0, 1, 0.5, 0]);
    expect(values(out, 'v__dev_w2')).toEqual([NaN_, 2, 1, 8.5, -1]);
    expect(values(out, 'c__run')).toEqual([1, 2, 1, 3, 2]);
    expect(values(out, 'c__changed')).toEqual([NaN_, 0, 1, 0, 0]);
    expect(values(out, 'time__interarrival')).toEqual([NaN_, 1, 0, 2, 2]);
    expect(values(out, 'time__count_1s')).toEqual([0, 1, 2, 0, 0]);
    expect(values(out, 'time__count_10s')).toEqual([0, 1, 2, 4, 3]);
  });

  it('keeps devices apart', () => {
    const two: Table = {
      nRows: 4,
      columns: [
        { kind: 'categorical', name: 'dev', codes: Int32Array.of(0, 1, 0, 1), categories: ['x', 'y'] },
        { kind: 'numeric', name: 'v', values: Float64Array.of(1, 100, 3, 104) },
      ],
    };
    const out = addTemporalFeatures(two, { time: Float64Array.of(0, 1, 2, 3), deviceColumn: 'dev', windows: [5] });
    expect(values(out, 'v__delta')).toEqual([NaN_, NaN_, 2, 4]);
    expect(values(out, 'time__interarrival')).toEqual([NaN_, NaN_, 2, 2]);
    expect(out.columns.some((c) => c.name.startsWith('dev__'))).toBe(false);
  });

  it('reports a missing time or device column', () => {
    expect(() => addTemporalFeatures(table, { time: undefined })).toThrow(expect.objectContaining({ code: 'IPQ-D010' }));
    expect(() => addTemporalFeatures(table, { time, deviceColumn: 'nope' })).toThrow(expect.objectContaining({ code: 'IPQ-D007' }));
    expect(() => addTemporalFeatures(table, { time: Float64Array.of(1) })).toThrow(RangeError);
  });

  it('is causal: a record\'s features never depend on later records', () => {
    const rec = fc.record({
      t: fc.integer({ min: 0, max: 30 }),
      v: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(NaN_)),
      c: fc.integer({ min: -1, max: 2 }),
      d: fc.integer({ min: 0, max: 1 }),
      v2: fc.integer({ min: -5, max: 5 }),
      c2: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(fc.array(rec, { minLength: 1, maxLength: 60 }), fc.nat(), (recs, cut) => {
        const n = recs.length;
        const mk = (rows: typeof recs, changedFrom: number, order: number[]): Table => ({
          nRows: rows.length,
          columns: [
            { kind: 'categorical', name: 'dev', codes: Int32Array.from(rows, (r) => r.d), categories: ['a', 'b'] },
            { kind: 'numeric', name: 'v', values: Float64Array.from(rows, (r, i) => (order.indexOf(i) >= changedFrom ? r.v2 : r.v)) },
            { kind: 'categorical', name: 'c', codes: Int32Array.from(rows, (r, i) => (order.indexOf(i) >= changedFrom ? r.c2 : r.c)), categories: ['p', 'q', 'r'] },
          ],
        });
        const time = Float64Array.from(recs, (r) => r.t);
        // Global time order, ties in file order (independent of the code under test).
        const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a] - time[b] || a - b);
        const k = cut % (n + 1);
        const opts = { time, deviceColumn: 'dev', windows: [1, 3], rateWindowsSec: [2, 10] };
        const base = addTemporalFeatures(mk(recs, n, order), opts);
        // 1) change every value of the records from position k on in time order;
        const changed = addTemporalFeatures(mk(recs, k, order), opts);
        // 2) drop those records altogether.
        const keep = order.slice(0, k).sort((a, b) => a - b);
        const prefixRecs = keep.map((i) => recs[i]);
        const prefix = addTemporalFeatures(mk(prefixRecs, k, keep.map((_, j) => j)), { ...opts, time: Float64Array.from(keep, (i) => time[i]) });
        for (let p = 0; p < k; p++) {
          const i = order[p];
          for (let c = 3; c < base.columns.length; c++) {
            const a = base.columns[c];
            const b = changed.columns[c];
            const e = prefix.columns[c];
            if (a.kind !== 'numeric' || b.kind !== 'numeric' || e.kind !== 'numeric') throw new Error('kind');
            expect(Object.is(a.values[i], b.values[i]), `${a.name} row ${i}`).toBe(true);
            expect(Object.is(a.values[i], e.values[keep.indexOf(i)]), `${a.name} row ${i} (prefix)`).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps rolling statistics exact over long series (sums are periodically recomputed)', () => {
    const n = 5000;
    const v = Float64Array.from({ length: n }, (_, i) => 1e6 + Math.sin(i) * 1e-3);
    const out = addTemporalFeatures({ nRows: n, columns: [{ kind: 'numeric', name: 'v', values: v }] }, { time: Float64Array.from(v.keys()), windows: [50] });
    const means = values(out, 'v__mean_w50');
    const stds = values(out, 'v__std_w50');
    for (const i of [60, 1023, 1024, 2049, 4999]) {
      const w = Array.from(v.subarray(i - 50, i));
      const m = w.reduce((s, x) => s + x, 0) / 50;
      const sd = Math.sqrt(w.reduce((s, x) => s + (x - m) ** 2, 0) / 50);
      expect(means[i]).toBeCloseTo(m, 6);
      expect(Math.abs(stds[i] - sd)).toBeLessThan(1e-6);
    }
  });
});

/** ROC AUC by the Mann–Whitney U statistic, NaN ranked lowest; max(AUC, 1 − AUC) so direction does not matter. */
function separation(x: ArrayLike<number>, y: Uint8Array): number {
  const v = (i: number) => (Number.isNaN(x[i]) ? -Infinity : x[i]);
  const idx = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => v(a) - v(b) || 0);
  let rankSum = 0;
  let pos = 0;
  for (let s = 0; s < idx.length; ) {
    let e = s;
    while (e + 1 < idx.length && v(idx[e + 1]) === v(idx[s])) e++;
    for (let q = s; q <= e; q++) {
      if (y[idx[q]] === 1) {
        rankSum += (s + e) / 2 + 1;
        pos++;
      }
    }
    s = e + 1;
  }
  const auc = (rankSum - (pos * (pos + 1)) / 2) / (pos * (y.length - pos));
  return Math.max(auc, 1 - auc);
}

const thermostat = dataFile('ton-iot', 'Train_Test_IoT_Thermostat.csv');
describe('temporal features on TON_IoT Thermostat', () => {
  it.skipIf(!thermostat.exists)('carry signal that the per-row features lack (SKIPPED without the TON_IoT data)', async () => {
    const ds = await loadTonIot(thermostat.path);
    const out = addTemporalFeatures(ds.features, { time: ds.time });
    // Per-row sensor values are at chance…
    expect(separation(values(out, 'current_temperature'), ds.binary)).toBeLessThan(0.55);
    // …while the record rate of the device before each record separates the classes.
    expect(separation(values(out, 'time__count_60s'), ds.binary)).toBeGreaterThan(0.85);
  });
});
