import { describe, expect, it } from 'vitest';
import { fitPreprocessor, Preprocessor, transform, UNSEEN } from './preprocess.js';
import type { Table } from './table.js';
import { loadNslKdd } from './nsl-kdd.js';
import { dataFile } from './_test-data.js';

// Training table: row 4 is NOT a training row (fit uses rows 0..3), so `icmp` is unseen in training.
const train: Table = {
  nRows: 5,
  columns: [
    { kind: 'numeric', name: 'a', values: Float64Array.of(1, Number.NaN, 3, Infinity, 10) },
    { kind: 'categorical', name: 'p', codes: Int32Array.of(0, 1, 0, -1, 2), categories: ['tcp', 'udp', 'icmp'] },
  ],
};
// A test table with its own column order, an extra column and its own dictionary order.
const test: Table = {
  nRows: 4,
  columns: [
    { kind: 'categorical', name: 'p', codes: Int32Array.of(0, 1, 2, -1), categories: ['icmp', 'udp', 'tcp'] },
    { kind: 'numeric', name: 'extra', values: Float64Array.of(0, 0, 0, 0) },
    { kind: 'numeric', name: 'a', values: Float64Array.of(4, Number.NaN, -Infinity, Infinity) },
  ],
};
const TRAIN_ROWS = Int32Array.of(0, 1, 2, 3);

describe('preprocess', () => {
  it('fits on training rows only (median 2 of the finite values 1, 3; icmp unseen)', () => {
    const st = fitPreprocessor(train, { categorical: 'ordinal', standardize: false, impute: false }, TRAIN_ROWS);
    expect(st.columns[0]).toEqual({ kind: 'numeric', name: 'a', median: 2, mean: 2, std: Math.sqrt(0.5) });
    expect(st.columns[1]).toEqual({ kind: 'categorical', name: 'p', categories: ['tcp', 'udp'] });
    expect(st.featureNames).toEqual(['a', 'p']);
  });

  it('tree encoding keeps NaN, maps ±Infinity to ±MAX_VALUE and unseen categories to the unseen code', () => {
    const st = fitPreprocessor(train, { categorical: 'ordinal', standardize: false, impute: false }, TRAIN_ROWS);
    const { X } = transform(st, test);
    expect(X.nRows).toBe(4);
    expect(X.nCols).toBe(2);
    // rows: (a, p): (4, icmp→unseen 2), (NaN, udp→1), (-Inf, tcp→0), (+Inf, missing→NaN)
    expect(Array.from(X.data)).toEqual([4, 2, Number.NaN, 1, -Number.MAX_VALUE, 0, Number.MAX_VALUE, Number.NaN]);
  });

  it('linear encoding imputes the median, standardises numeric columns and one-hot encodes', () => {
    const st = fitPreprocessor(train, { categorical: 'onehot', standardize: true, impute: true }, TRAIN_ROWS);
    expect(st.featureNames).toEqual(['a', 'p=tcp', 'p=udp', `p=${UNSEEN}`]);
    const { X } = transform(st, test);
    const s = Math.sqrt(0.5);
    // a: (4-2)/s; NaN, ±Inf → median 2 → 0.
    expect(Array.from(X.data)).toEqual([2 / s, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('ordinal with imputation sends a missing category to the unseen code', () => {
    const st = fitPreprocessor(train, { categorical: 'ordinal', standardize: false, impute: true }, TRAIN_ROWS);
    expect(Array.from(transform(st, test, [3]).X.data)).toEqual([2, 2]);
  });

  it('is plain JSON and reproduces the same matrix after a round trip', () => {
    const p = Preprocessor.fit(train, { categorical: 'onehot', standardize: true, impute: true });
    const q = Preprocessor.fromState(JSON.parse(JSON.stringify(p.state)));
    expect(q.transform(test).data).toEqual(p.transform(test).data);
    expect(() => Preprocessor.fromState({ version: 2 })).toThrow(expect.objectContaining({ code: 'IPQ-M001' }));
  });

  it('reports a missing column or a kind change as IPQ-M004 naming the column', () => {
    const st = fitPreprocessor(train, { categorical: 'ordinal', standardize: false, impute: false });
    const noA: Table = { nRows: 4, columns: [test.columns[0]] };
    expect(() => transform(st, noA)).toThrow(expect.objectContaining({ code: 'IPQ-M004', location: { column: 'a' } }));
    const changed: Table = { nRows: 4, columns: [{ kind: 'numeric', name: 'p', values: new Float64Array(4) }, test.columns[2]] };
    expect(() => transform(st, changed)).toThrow(/column "p" is numeric/);
  });

  it('treats a constant or empty column sensibly (std 1, median 0)', () => {
    const t: Table = { nRows: 3, columns: [{ kind: 'numeric', name: 'c', values: Float64Array.of(5, 5, 5) }, { kind: 'numeric', name: 'n', values: Float64Array.of(Number.NaN, Number.NaN, Infinity) }] };
    const st = fitPreprocessor(t, { categorical: 'ordinal', standardize: true, impute: true });
    expect(st.columns).toEqual([
      { kind: 'numeric', name: 'c', median: 5, mean: 5, std: 1 },
      { kind: 'numeric', name: 'n', median: 0, mean: 0, std: 1 },
    ]);
    expect(Array.from(transform(st, t).X.data)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

const kddTrain20 = dataFile('nsl-kdd', 'KDDTrain+_20Percent.txt');
const kddTest = dataFile('nsl-kdd', 'KDDTest+.txt');
describe('preprocess on NSL-KDD', () => {
  it.skipIf(!kddTrain20.exists || !kddTest.exists)(
    'maps the test-only service tftp_u to the unseen code and other services by name (SKIPPED without NSL-KDD)',
    async () => {
      const tr = await loadNslKdd(kddTrain20.path);
      const te = await loadNslKdd(kddTest.path);
      const st = fitPreprocessor(tr.features, { categorical: 'ordinal', standardize: false, impute: false });
      const { X, featureNames } = transform(st, te.features);
      const j = featureNames.indexOf('service');
      const svcState = st.columns[j];
      const svc = te.features.columns.find((c) => c.name === 'service');
      if (svcState.kind !== 'categorical' || svc?.kind !== 'categorical') throw new Error('service must be categorical');
      expect(svcState.categories).not.toContain('tftp_u');
      let unseen = 0;
      for (let i = 0; i < X.nRows; i++) {
        const raw = svc.categories[svc.codes[i]];
        const code = X.data[i * X.nCols + j];
        if (raw === 'tftp_u') {
          expect(code).toBe(svcState.categories.length);
          unseen++;
        } else {
          expect(svcState.categories[code]).toBe(raw);
        }
      }
      expect(unseen).toBeGreaterThan(0);
    },
  );
});
