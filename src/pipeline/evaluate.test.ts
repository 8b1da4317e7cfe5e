import { describe, expect, it } from 'vitest';
import { parseCsvText } from '../data/csv-reader.js';
import type { NumericColumnState } from '../data/preprocess.js';
import type { LabelledDataset } from '../data/table.js';
import { evaluate } from './evaluate.js';
import { fitModel } from './fit.js';

/** A labelled data set from rows of [x, group, label]: attack iff x > 50 (an oracle independent of our code). */
function dataset(n: number, seed: number): LabelledDataset {
  let s = seed;
  const rand = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  const lines = ['x,group,noise'];
  const binary = new Uint8Array(n);
  const raw: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = rand() * 100;
    binary[i] = x > 50 ? 1 : 0;
    raw.push(binary[i] ? 'attack' : 'normal');
    lines.push(`${x.toFixed(3)},${['a', 'b', 'c'][i % 3]},${rand().toFixed(4)}`);
  }
  const { table } = parseCsvText(lines.join('\n'), { categorical: ['group'] });
  return {
    name: 'synthetic',
    features: table,
    binary,
    multiclass: Int32Array.from(binary),
    classNames: ['normal', 'attack'],
    rawLabel: raw,
    skipped: { count: 0, examples: [] },
    files: [],
  };
}

describe('evaluate', () => {
  it('cross-validation covers every row once and learns the rule', async () => {
    const ds = dataset(500, 3);
    const r = await evaluate(ds, { kind: 'cv', k: 5, seed: 42 }, { model: 'gbdt', target: 'binary', seed: 1 });
    expect(r.folds).toHaveLength(5);
    const total = r.confusion.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(500);
    const attacks = r.confusion[1][0] + r.confusion[1][1];
    expect(attacks).toBe(ds.binary.reduce((a, b) => a + b, 0));
    expect(r.accuracy).toBeGreaterThan(0.97);
    expect(r.feature_importance?.[0].name).toBe('x');
  });

  it('train-test reports every test set, the first at top level', async () => {
    const r = await evaluate(
      dataset(400, 5),
      {
        kind: 'train-test',
        tests: [
          { name: 'a', data: dataset(100, 6) },
          { name: 'b', data: dataset(50, 7) },
        ],
      },
      { model: 'logistic', target: 'binary', seed: 1 },
    );
    expect(r.tests.map((t) => [t.name, t.rows])).toEqual([
      ['a', 100],
      ['b', 50],
    ]);
    expect(r.accuracy).toBe(r.tests[0].accuracy);
    expect(r.accuracy).toBeGreaterThan(0.95);
  });

  it('fits preprocessing on the training rows only', async () => {
    const ds = dataset(200, 9);
    const rows = Int32Array.from({ length: 100 }, (_, i) => i);
    const f = await fitModel(ds, { model: 'logistic', target: 'binary', seed: 1 }, rows);
    const col = ds.features.columns[0];
    if (col.kind !== 'numeric') throw new Error('x is numeric');
    const first = Array.from(col.values.subarray(0, 100)).sort((a, b) => a - b);
    const median = (first[49] + first[50]) / 2;
    const st = (f.preprocessing.columns as NumericColumnState[]).find((c) => c.name === 'x');
    expect(st?.median).toBeCloseTo(median, 12);
    expect(f.nTrainRows).toBe(100);
  });

  it('SMOTE adds synthetic rows to the training side only', async () => {
    const ds = dataset(300, 11);
    // Make attacks rare: keep every normal row and a tenth of the attacks.
    const keep: number[] = [];
    for (let i = 0; i < 300; i++) if (ds.binary[i] === 0 || i % 10 === 0) keep.push(i);
    const f = await fitModel(ds, { model: 'gbdt', target: 'binary', seed: 1, smote: true }, keep);
    expect(f.smoteRows).toBeGreaterThan(0);
    expect(f.nTrainRows).toBe(keep.length + f.smoteRows);
  });

  it('nested tuning picks a candidate per outer fold from inner CV on that fold\'s training rows', async () => {
    const ds = dataset(300, 13);
    const r = await evaluate(
      ds,
      { kind: 'cv', k: 3, seed: 42 },
      { model: 'gbdt', target: 'binary', seed: 1 },
      {
        tuning: {
          scheme: 'stratified',
          k: 2,
          candidates: [
            // 'no split' can never split (minSamplesLeaf above half the rows), so it predicts a constant and
            // misses the rule x > 50; inner CV must prefer the real model in every fold.
            { name: 'no split', model: 'gbdt', params: { maxIter: 1, maxLeafNodes: 2, minSamplesLeaf: 150 } },
            { name: 'gbdt', model: 'gbdt', params: { maxIter: 50 } },
          ],
        },
      },
    );
    expect(r.model).toBe('tuned');
    expect(r.tuned?.map((c) => c.fold)).toEqual([0, 1, 2]);
    for (const c of r.tuned ?? []) expect(c.candidate).toBe('gbdt');
    expect(r.accuracy).toBeGreaterThan(0.95);
  });
});
