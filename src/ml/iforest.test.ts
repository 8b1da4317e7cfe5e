import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasSklearn, ORACLE, python } from '../../test/sklearn-oracle.js';
import { isIpqsecError } from '../core/errors.js';
import { fromRows, matrix } from '../core/matrix.js';
import { createRng } from '../core/rng.js';
import type { IsolationForestModel } from './iforest.js';
import { averagePathLength, deserializeIsolationForest, trainIsolationForest } from './iforest.js';
import { rocAuc } from './roc.js';


/** `n` standard Gaussian rows in `d` dimensions. */
function gaussian(seed: number, n: number, d: number, sd = 1, mean = 0): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n * d }, () => mean + sd * rng.normal());
}

describe('averagePathLength c(n) (Liu et al. 2008, eq. 1)', () => {
  it('equals hand values', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // 2(ln 2 + γ) − 4/3 = 2(0.693147 + 0.577216) − 1.333333
    expect(averagePathLength(3)).toBeCloseTo(1.2073923575896, 12);
    expect(averagePathLength(10)).toBeCloseTo(3.7488804844755, 12);
    expect(averagePathLength(256)).toBeCloseTo(10.2447709201199, 12);
  });

  it('approaches the exact 2H(n−1) − 2(n−1)/n with the harmonic sum for large n', () => {
    for (const n of [100, 1000, 10_000]) {
      let h = 0;
      for (let i = 1; i < n; i++) h += 1 / i;
      expect(Math.abs(averagePathLength(n) - (2 * h - (2 * (n - 1)) / n))).toBeLessThan(1.5 / n);
    }
  });
});

describe('trainIsolationForest', () => {
  const d = 2;
  const nNormal = 1000;
  const Xn = matrix(gaussian(1, nNormal, d), nNormal, d);
  const yn = new Int32Array(nNormal);

  it('scores far outliers above 0.6 and central inliers at or below 0.5', async () => {
    const m = (await trainIsolationForest(Xn, yn)) as IsolationForestModel;
    const s = m.scoreSamples(fromRows([[0, 0], [0.3, -0.2], [6, 6], [-7, 5], [0, 9]]));
    expect(s[0]).toBeLessThan(0.5);
    expect(s[1]).toBeLessThan(0.5);
    for (const i of [2, 3, 4]) expect(s[i]).toBeGreaterThan(0.6);
    // The average normal training point is not anomalous.
    const all = m.scoreSamples(Xn);
    expect(all.reduce((a, b) => a + b, 0) / nNormal).toBeLessThan(0.5);
  });

  it('threshold is the 0.95 quantile of the normal training scores: ~5 % of them flagged', async () => {
    const m = (await trainIsolationForest(Xn, yn, 2, { quantile: 0.95 })) as IsolationForestModel;
    const pred = m.predict(Xn);
    const flagged = pred.reduce((a, b) => a + b, 0);
    expect(flagged).toBeGreaterThanOrEqual(45);
    expect(flagged).toBeLessThanOrEqual(51);
    const P = m.predictProba(Xn);
    const s = m.scoreSamples(Xn);
    for (let i = 0; i < nNormal; i++) {
      expect(P[2 * i + 1]).toBe(s[i]);
      expect(P[2 * i]).toBe(1 - s[i]);
      expect(pred[i]).toBe(s[i] > m.threshold ? 1 : 0);
    }
  });

  it('fits on normal rows only: attack rows in the training data change nothing', async () => {
    const extra = gaussian(2, 200, d, 1, 8);
    const X = new Float64Array((nNormal + 200) * d);
    X.set(Xn.data);
    X.set(extra, nNormal * d);
    const y = new Int32Array(nNormal + 200);
    y.fill(1, nNormal);
    const a = (await trainIsolationForest(Xn, yn, 2, { seed: 5 })) as IsolationForestModel;
    const b = (await trainIsolationForest(matrix(X, nNormal + 200, d), y, 2, { seed: 5 })) as IsolationForestModel;
    expect(Array.from(b.scoreSamples(Xn))).toEqual(Array.from(a.scoreSamples(Xn)));
    expect(b.threshold).toBe(a.threshold);
  });

  it('is deterministic for a seed, differs across seeds, and round-trips through serialize', async () => {
    const a = await trainIsolationForest(Xn, yn, 2, { seed: 7, nEstimators: 20 });
    const b = await trainIsolationForest(Xn, yn, 2, { seed: 7, nEstimators: 20 });
    const c = await trainIsolationForest(Xn, yn, 2, { seed: 8, nEstimators: 20 });
    const pa = a.predictProba(Xn);
    expect(Array.from(b.predictProba(Xn))).toEqual(Array.from(pa));
    expect(Array.from(c.predictProba(Xn))).not.toEqual(Array.from(pa));
    const r = deserializeIsolationForest(a.serialize());
    expect(Array.from(r.predictProba(Xn))).toEqual(Array.from(pa));
    expect(Array.from(r.predict(Xn))).toEqual(Array.from(a.predict(Xn)));
  });

  it('handles NaN and ±Infinity in training and prediction without crashing', async () => {
    const X = new Float64Array(Xn.data);
    X[0] = NaN;
    X[3] = Infinity;
    X[10] = -Infinity;
    const m = (await trainIsolationForest(matrix(X, nNormal, d), yn)) as IsolationForestModel;
    const s = m.scoreSamples(fromRows([[NaN, NaN], [Infinity, 0], [-Infinity, NaN], [0, 0]]));
    for (const v of s) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it('uses ψ = min(256, n_normal) and a constant data set is one leaf per tree', async () => {
    const small = (await trainIsolationForest(matrix(gaussian(3, 40, 2), 40, 2), new Int32Array(40))) as IsolationForestModel;
    expect(small.psi).toBe(40);
    expect((await trainIsolationForest(Xn, yn) as IsolationForestModel).psi).toBe(256);
    const constant = (await trainIsolationForest(fromRows([[1, 2], [1, 2], [1, 2], [1, 2]]), new Int32Array(4))) as IsolationForestModel;
    // Every point ends in the root leaf with 4 rows: h = c(4), s = 2^(−c(4)/c(4)) = 0.5.
    expect(constant.scoreSamples(fromRows([[1, 2], [5, 5]]))[1]).toBeCloseTo(0.5, 12);
  });

  it('rejects non-binary targets (IPQ-M007), bad parameters (IPQ-M006) and no normal rows (IPQ-D006)', async () => {
    await expect(trainIsolationForest(Xn, yn, 3)).rejects.toSatisfy((e: unknown) => isIpqsecError(e, 'IPQ-M007'));
    for (const bad of [{ nEstimators: 0 }, { maxSamples: 1 }, { quantile: 1 }, { seed: 0.5 }]) {
      await expect(trainIsolationForest(Xn, yn, 2, bad)).rejects.toSatisfy((e: unknown) => isIpqsecError(e, 'IPQ-M006'));
    }
    await expect(trainIsolationForest(Xn, new Int32Array(nNormal).fill(1))).rejects.toSatisfy((e: unknown) => isIpqsecError(e, 'IPQ-D006'));
    const m = await trainIsolationForest(Xn, yn, 2, { nEstimators: 5 });
    expect(() => m.predict(fromRows([[1, 2, 3]]))).toThrow(RangeError);
  });

  it.skipIf(!hasSklearn)(`AUC and scores close to scikit-learn IsolationForest on the same data ${ORACLE}`, async () => {
    // Train: 2000 normal rows in 5-D; test: 1000 normal + 200 anomalies from a wider Gaussian (overlapping).
    const dd = 5;
    const train = gaussian(10, 2000, dd);
    const test = new Float64Array(1200 * dd);
    test.set(gaussian(11, 1000, dd));
    test.set(gaussian(12, 200, dd, 2.5), 1000 * dd);
    const yTest = new Int32Array(1200).fill(1, 1000);
    const ref = python<{ auc: number; scores: number[] }>(
      `
import json, sys, numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
inp = json.load(sys.stdin)
Xtr = np.array(inp['train']).reshape(-1, inp['d']); Xte = np.array(inp['test']).reshape(-1, inp['d'])
m = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(Xtr)
s = -m.score_samples(Xte)
print(json.dumps({'auc': roc_auc_score(inp['y'], s), 'scores': s.tolist()}))
`,
      { train: Array.from(train), test: Array.from(test), d: dd, y: Array.from(yTest) },
    );
    const m = (await trainIsolationForest(matrix(train, 2000, dd), new Int32Array(2000))) as IsolationForestModel;
    const s = m.scoreSamples(matrix(test, 1200, dd));
    const auc = rocAuc(yTest, s);
    expect(ref.auc).toBeGreaterThan(0.8); // the problem is neither trivial nor hopeless
    expect(Math.abs(auc - ref.auc)).toBeLessThan(0.02);
    let mad = 0;
    for (let i = 0; i < 1200; i++) mad += Math.abs(s[i] - ref.scores[i]);
    expect(mad / 1200).toBeLessThan(0.02);
  });
});


/** Straightforward per-row walk of the serialised arrays (Liu et al. Alg. 3), summed tree by tree. */
function referenceScores(m: IsolationForestModel, x: Float64Array, n: number, d: number): Float64Array {
  const { feature, splitValue, left, pathLength, roots } = m.serialize().arrays as Record<string, Float64Array | Int32Array>;
  const out = new Float64Array(n);
  const cPsi = averagePathLength(m.psi);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t];
      while (feature[node] >= 0) node = x[i * d + feature[node]] <= splitValue[node] ? left[node] : left[node] + 1;
      total += pathLength[node];
    }
    out[i] = Math.pow(2, total * (-1 / (roots.length * cPsi)));
  }
  return out;
}

describe('IsolationForestModel.scoreSamples fast path', () => {
  const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, 1, -1);
  const value = fc.oneof({ arbitrary: fc.double({ min: -5, max: 5, noNaN: true }), weight: 4 }, { arbitrary: special, weight: 1 });

  it('equals a per-row reference walk bit for bit on data with NaN and ±Infinity', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 300 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.infiniteStream(value),
        async (d, nTrain, nTest, seed, values) => {
          const it = values[Symbol.iterator]();
          const next = (): number => it.next().value as number;
          const xt = Float64Array.from({ length: nTrain * d }, next);
          const xs = Float64Array.from({ length: nTest * d }, next);
          const m = (await trainIsolationForest(matrix(xt, nTrain, d), new Int32Array(nTrain), 2, { nEstimators: 7, maxSamples: 64, seed })) as IsolationForestModel;
          const got = m.scoreSamples(matrix(xs, nTest, d));
          const want = referenceScores(m, xs, nTest, d);
          for (let i = 0; i < nTest; i++) expect(Object.is(got[i], want[i])).toBe(true);
          // A deserialised copy scores identically.
          const copy = deserializeIsolationForest(m.serialize()) as IsolationForestModel;
          expect(copy.scoreSamples(matrix(xs, nTest, d))).toEqual(got);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('equals the reference walk on a 100-tree, ψ = 256 forest over 41 columns', async () => {
    const n = 3001;
    const d = 41;
    const x = gaussian(7, n, d);
    for (let i = 0; i < x.length; i += 97) x[i] = i % 3 === 0 ? Number.NaN : i % 3 === 1 ? Infinity : -Infinity;
    const m = (await trainIsolationForest(matrix(x, n, d), new Int32Array(n))) as IsolationForestModel;
    const got = m.scoreSamples(matrix(x, n, d));
    const want = referenceScores(m, x, n, d);
    for (let i = 0; i < n; i++) expect(Object.is(got[i], want[i])).toBe(true);
  });
});
