import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSklearn } from '../../test/sklearn-oracle.js';
import { accuracy, blobs } from '../../test/tree-fixtures.js';
import { isIpqsecError } from '../core/errors.js';
import { fromRows } from '../core/matrix.js';
import { createRng } from '../core/rng.js';
import { deserializeForest, trainForest } from './forest.js';

const ROOT = join(import.meta.dirname, '..', '..');



describe('trainForest', () => {
  it('splits one informative feature between the two class clusters', async () => {
    const rows = [...Array.from({ length: 30 }, (_, i) => [i / 30]), ...Array.from({ length: 30 }, (_, i) => [5 + i / 30])];
    const y = Int32Array.from(rows, (_, i) => (i < 30 ? 0 : 1));
    const m = await trainForest(fromRows(rows), y, 2, { nEstimators: 10, bootstrap: false });
    for (let t = 0; t < m.trees.nTrees; t++) {
      const r = m.trees.roots[t];
      expect(m.trees.threshold[r]).toBeGreaterThan(29 / 30);
      expect(m.trees.threshold[r]).toBeLessThan(5);
    }
    expect(Array.from(m.predict(fromRows([[0.1], [5.9]])))).toEqual([0, 1]);
    expect(Array.from(m.predictProba(fromRows([[0.1]])))).toEqual([1, 0]);
  });

  it('has an OOB estimate close to holdout accuracy, and OOB probabilities that sum to 1', async () => {
    const { X, y } = blobs(1200, 5, 2, 1.2, 3);
    const test = blobs(1000, 5, 2, 1.2, 4);
    const m = await trainForest(X, y, 2, { nEstimators: 40, seed: 1 });
    const hold = accuracy(m.predict(test.X), test.y);
    expect(Math.abs(m.oobAccuracy - hold)).toBeLessThan(0.04);
    const P = m.oobProba as Float64Array;
    let seen = 0;
    for (let r = 0; r < X.nRows; r++) {
      if (Number.isNaN(P[2 * r])) continue;
      seen++;
      expect(P[2 * r] + P[2 * r + 1]).toBeCloseTo(1, 12);
    }
    expect(seen).toBeGreaterThan(0.99 * X.nRows); // (1 − 1/n)^40 ≈ e^−40: almost every row is OOB sometimes
  });

  it('sample weight 2 equals a duplicated row (no bootstrap, all features)', async () => {
    const rng = createRng(13);
    const rows: number[][] = [];
    const y: number[] = [];
    const w: number[] = [];
    for (let i = 0; i < 100; i++) {
      rows.push([rng.int(30), rng.int(9)]);
      y.push(rows[i][0] + rng.int(10) > 20 ? 1 : 0);
      w.push(rng.next() < 0.3 ? 2 : 1);
    }
    const dupRows: number[][] = [];
    const dupY: number[] = [];
    rows.forEach((r, i) => {
      for (let k = 0; k < w[i]; k++) {
        dupRows.push(r);
        dupY.push(y[i]);
      }
    });
    const params = { nEstimators: 1, bootstrap: false, maxFeatures: 'all' as const, maxDepth: 4 };
    const a = await trainForest(fromRows(rows), Int32Array.from(y), 2, params, { sampleWeight: Float64Array.from(w) });
    const b = await trainForest(fromRows(dupRows), Int32Array.from(dupY), 2, params);
    const grid = fromRows(Array.from({ length: 270 }, (_, i) => [i % 30, Math.floor(i / 30)]));
    const pa = a.predictProba(grid);
    const pb = b.predictProba(grid);
    for (let i = 0; i < pa.length; i++) expect(pa[i]).toBeCloseTo(pb[i], 12);
  });

  it('multiclass probabilities sum to 1; serialize → deserialize predicts identically; NaN/±Infinity do not crash', async () => {
    const { X, y } = blobs(600, 4, 3, 3, 5);
    X.data[7] = Number.NaN;
    X.data[11] = Number.POSITIVE_INFINITY;
    const m = await trainForest(X, y, 3, { nEstimators: 15, seed: 2 });
    const P = m.predictProba(X);
    for (let i = 0; i < X.nRows; i++) expect(P[3 * i] + P[3 * i + 1] + P[3 * i + 2]).toBeCloseTo(1, 12);
    expect(accuracy(m.predict(X), y)).toBeGreaterThan(0.95);
    const d = deserializeForest(m.serialize());
    expect(d.predictProba(X)).toEqual(P);
    expect(d.oobAccuracy).toBe(m.oobAccuracy);
    const odd = fromRows([[Number.NaN, Number.NaN, Infinity, -Infinity]]);
    expect(Number.isFinite(d.predictProba(odd)[0])).toBe(true);
    expect(m.featureImportance()[0] + m.featureImportance()[1]).toBeGreaterThan(0.5);
  });

  it('is deterministic for a seed, and rejects bad hyper-parameters with IPQ-M006', async () => {
    const { X, y } = blobs(300, 6, 2, 1, 6);
    const a = (await trainForest(X, y, 2, { nEstimators: 5, seed: 3 })).serialize();
    const b = (await trainForest(X, y, 2, { nEstimators: 5, seed: 3 }, { threads: 1 })).serialize();
    expect(a.arrays).toEqual(b.arrays);
    await expect(trainForest(X, y, 2, { nEstimators: 0 })).rejects.toSatisfy((e) => isIpqsecError(e, 'IPQ-M006'));
    await expect(trainForest(X, y, 2, { maxFeatures: 1.5 })).rejects.toSatisfy((e) => isIpqsecError(e, 'IPQ-M006'));
  });

  it.skipIf(!hasSklearn)('accuracy is close to scikit-learn RandomForestClassifier on make_classification data', async () => {
    const py = `
import json
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
X, y = make_classification(n_samples=3000, n_features=15, n_informative=6, flip_y=0.03, random_state=7)
m = RandomForestClassifier(n_estimators=50, random_state=0, n_jobs=1).fit(X[:2000], y[:2000])
print(json.dumps({"X": X.ravel().tolist(), "y": y.tolist(), "acc": float(m.score(X[2000:], y[2000:]))}))
`;
    const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { maxBuffer: 1 << 28, env: { ...process.env, OMP_NUM_THREADS: '1' } }).toString()) as {
      X: number[];
      y: number[];
      acc: number;
    };
    const X = Float64Array.from(out.X);
    const y = Int32Array.from(out.y);
    const m = await trainForest({ data: X.subarray(0, 2000 * 15), nRows: 2000, nCols: 15 }, y.subarray(0, 2000), 2, { nEstimators: 50 });
    const acc = accuracy(m.predict({ data: X.subarray(2000 * 15), nRows: 1000, nCols: 15 }), y.subarray(2000));
    expect(Math.abs(acc - out.acc)).toBeLessThan(0.025);
  });
});

describe('trainForest on worker threads (compiled JavaScript)', () => {
  // Vitest runs TypeScript, where the forest grows trees in-process; this compiles forest.ts and its imports
  // with tsc into a temporary folder and runs them with node, so the worker_threads path is exercised.
  it('gives identical trees and OOB estimates with 1 and 2 threads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipqsec-forest-'));
    try {
      execFileSync(
        join(ROOT, 'node_modules', '.bin', 'tsc'),
        ['--outDir', dir, '--rootDir', ROOT, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', join(ROOT, 'src/ml/forest.ts')],
        { cwd: ROOT, stdio: 'pipe' },
      );
      const script = join(dir, 'run.mjs');
      writeFileSync(
        script,
        `import { trainForest } from './src/ml/forest.js';
const n = 3000, F = 8; const data = new Float64Array(n * F); const y = new Int32Array(n);
let s = 1; const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
for (let i = 0; i < n; i++) { y[i] = i % 2; for (let f = 0; f < F; f++) data[i * F + f] = rnd() + (f < 3 ? y[i] * 0.6 : 0); }
const X = { data, nRows: n, nCols: F };
const a = await trainForest(X, y, 2, { nEstimators: 12, seed: 5 }, { threads: 1 });
const b = await trainForest(X, y, 2, { nEstimators: 12, seed: 5 }, { threads: 2 });
const same = (p, q) => p.length === q.length && p.every((v, i) => Object.is(v, q[i]));
const sa = a.serialize().arrays, sb = b.serialize().arrays;
const ok = Object.keys(sa).every((k) => same(sa[k], sb[k])) && a.oobAccuracy === b.oobAccuracy && same(a.oobProba, b.oobProba);
console.log(JSON.stringify({ ok, oob: a.oobAccuracy, trees: a.trees.nTrees }));
`,
      );
      const res = JSON.parse(execFileSync(process.execPath, [script]).toString()) as { ok: boolean; oob: number; trees: number };
      expect(res.trees).toBe(12);
      expect(res.oob).toBeGreaterThan(0.7);
      expect(res.ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
