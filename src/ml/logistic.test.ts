import { describe, expect, it } from 'vitest';
import { hasSklearn, ORACLE, python } from '../../test/sklearn-oracle.js';
import { isIpqsecError } from '../core/errors.js';
import { fromRows, matrix, type Matrix } from '../core/matrix.js';
import { createRng } from '../core/rng.js';
import type { LogisticModel } from './logistic.js';
import { deserializeLogistic, trainLogistic } from './logistic.js';


/** Synthetic problem: Gaussian features, labels drawn from a softmax of a random linear model. */
function synthetic(seed: number, n: number, d: number, K: number): { X: Matrix; y: Int32Array } {
  const rng = createRng(seed);
  const W = Array.from({ length: K * d }, () => rng.normal());
  const X = new Float64Array(n * d);
  const y = new Int32Array(n);
  const p = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) X[i * d + j] = rng.normal();
    let s = 0;
    for (let k = 0; k < K; k++) {
      let z = 0.3 * k;
      for (let j = 0; j < d; j++) z += W[k * d + j] * X[i * d + j];
      p[k] = Math.exp(z);
      s += p[k];
    }
    let u = rng.next() * s;
    let c = 0;
    while (c < K - 1 && u >= p[c]) u -= p[c++];
    y[i] = c;
  }
  return { X: matrix(X, n, d), y };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** One Python run fits every case (importing scikit-learn costs seconds on a busy machine). */
const SKLEARN_FIT = `
import json, sys, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.preprocessing import StandardScaler
cases = json.load(sys.stdin)
for name, ds in (('breast-cancer', load_breast_cancer()), ('iris', load_iris())):
    X = StandardScaler().fit_transform(ds.data)
    cases.append({'name': name, 'X': X.ravel().tolist(), 'n': X.shape[0], 'd': X.shape[1], 'y': ds.target.tolist(),
                  'K': int(ds.target.max()) + 1, 'C': 1.0, 'sw': None})
for c in cases:
    X = np.array(c['X'], dtype=float).reshape(c['n'], c['d']); y = np.array(c['y'])
    sw = None if c['sw'] is None else np.array(c['sw'], dtype=float)
    # newton-cg converges to |grad| ~ 1e-9 here; lbfgs stops early on scipy's ftol.
    m = LogisticRegression(C=c['C'], solver='newton-cg', tol=1e-8, max_iter=1000).fit(X, y, sample_weight=sw)
    c['coef'] = m.coef_.ravel().tolist(); c['intercept'] = m.intercept_.tolist()
print(json.dumps(cases))
`;

interface OracleCase {
  name: string;
  X: number[];
  n: number;
  d: number;
  y: number[];
  K: number;
  C: number;
  sw: number[] | null;
  coef?: number[];
  intercept?: number[];
}

function syntheticCase(name: string, seed: number, n: number, d: number, K: number, C: number, weights?: (c: number) => number): OracleCase {
  const { X, y } = synthetic(seed, n, d, K);
  return { name, X: Array.from(X.data), n, d, y: Array.from(y), K, C, sw: weights === undefined ? null : Array.from(y, weights) };
}

describe('trainLogistic against scikit-learn LogisticRegression (oracle)', () => {
  const cases: OracleCase[] = hasSklearn
    ? python<OracleCase[]>(SKLEARN_FIT, [
        syntheticCase('binary, synthetic, C = 1', 1, 400, 6, 2, 1),
        syntheticCase('binary, class weights 3 / 0.5, C = 0.1', 2, 300, 5, 2, 0.1, (c) => (c === 1 ? 3 : 0.5)),
        syntheticCase('multinomial, synthetic, 4 classes', 3, 500, 5, 4, 1),
      ])
    : [];

  it.skipIf(!hasSklearn)(`matches coefficients and intercepts to 1e-3 relative (synthetic, weighted, breast-cancer, iris) ${ORACLE}`, async () => {
    expect(cases.map((c) => c.name)).toContain('iris');
    for (const c of cases) {
      const X = matrix(Float64Array.from(c.X), c.n, c.d);
      const sw = c.sw === null ? undefined : Float64Array.from(c.sw);
      const solvers = c.K === 2 ? (['newton', 'lbfgs'] as const) : (['auto'] as const);
      for (const solver of solvers) {
        const model = (await trainLogistic(X, Int32Array.from(c.y), c.K, { C: c.C, tol: 1e-7, maxIter: 5000, solver }, { sampleWeight: sw })) as LogisticModel;
        expect(model.serialize().params.converged, `${c.name} ${solver}`).toBe(true);
        const scale = Math.max(maxAbs(c.coef!), maxAbs(c.intercept!));
        expect(maxAbsDiff(model.coef, c.coef!) / scale, `${c.name} ${solver}`).toBeLessThan(1e-3);
        expect(maxAbsDiff(model.intercept, c.intercept!) / scale, `${c.name} ${solver}`).toBeLessThan(1e-3);
      }
    }
  });
});

describe('trainLogistic (no oracle needed)', () => {
  it('reaches the optimality condition Σ sᵢ (pᵢ − yᵢ) xᵢ + w / C = 0 (binary, both solvers, weighted)', async () => {
    const { X, y } = synthetic(4, 300, 4, 2);
    const C = 0.5;
    const sw = Float64Array.from({ length: 300 }, (_, i) => 0.5 + (i % 3));
    for (const solver of ['newton', 'lbfgs'] as const) {
      const m = (await trainLogistic(X, y, 2, { C, tol: 1e-10, maxIter: 2000, solver }, { sampleWeight: sw })) as LogisticModel;
      const P = m.predictProba(X);
      const d = X.nCols;
      const g = new Float64Array(d + 1);
      for (let i = 0; i < X.nRows; i++) {
        const r = sw[i] * (P[2 * i + 1] - y[i]);
        for (let j = 0; j < d; j++) g[j] += r * X.data[i * d + j];
        g[d] += r;
      }
      for (let j = 0; j < d; j++) g[j] += m.coef[j] / C;
      expect(maxAbs(g) / X.nRows, solver).toBeLessThan(1e-8);
    }
  });

  it('reaches the multinomial optimality condition Σ (pᵢₖ − [yᵢ = k]) xᵢ + wₖ / C = 0 for every class', async () => {
    const K = 3;
    const { X, y } = synthetic(14, 300, 4, K);
    const m = (await trainLogistic(X, y, K, { tol: 1e-10, maxIter: 5000 })) as LogisticModel;
    const P = m.predictProba(X);
    const d = X.nCols;
    for (let k = 0; k < K; k++) {
      const g = new Float64Array(d + 1);
      for (let i = 0; i < X.nRows; i++) {
        const r = P[K * i + k] - (y[i] === k ? 1 : 0);
        for (let j = 0; j < d; j++) g[j] += r * X.data[i * d + j];
        g[d] += r;
      }
      for (let j = 0; j < d; j++) g[j] += m.coef[k * d + j];
      expect(maxAbs(g) / X.nRows).toBeLessThan(1e-8);
    }
  });

  it('separable data: decisions correct and probabilities in (0, 1)', async () => {
    const X = fromRows([[-2], [-1.5], [-1], [1], [1.5], [2]]);
    const y = Int32Array.from([0, 0, 0, 1, 1, 1]);
    const m = await trainLogistic(X, y, 2);
    expect(Array.from(m.predict(X))).toEqual([0, 0, 0, 1, 1, 1]);
    const P = m.predictProba(X);
    for (let i = 0; i < 6; i++) {
      expect(P[2 * i] + P[2 * i + 1]).toBeCloseTo(1, 12);
      expect(P[2 * i + 1]).toBeGreaterThan(0);
      expect(P[2 * i + 1]).toBeLessThan(1);
    }
  });

  it('multinomial probabilities sum to 1, predict = argmax, round-trips through serialize', async () => {
    const { X, y } = synthetic(5, 300, 3, 3);
    const m = await trainLogistic(X, y, 3);
    const P = m.predictProba(X);
    const pred = m.predict(X);
    for (let i = 0; i < X.nRows; i++) {
      const row = [P[3 * i], P[3 * i + 1], P[3 * i + 2]];
      expect(row[0] + row[1] + row[2]).toBeCloseTo(1, 12);
      expect(pred[i]).toBe(row.indexOf(Math.max(...row)));
    }
    const m2 = deserializeLogistic(m.serialize());
    expect(Array.from(m2.predictProba(X))).toEqual(Array.from(P));
    const imp = m.featureImportance();
    expect(imp).toBeDefined();
    expect(imp!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('reads NaN and ±Infinity as 0 at train and predict time', async () => {
    const { X, y } = synthetic(6, 200, 3, 2);
    const dirty = new Float64Array(X.data);
    const clean = new Float64Array(X.data);
    for (const [i, v] of [[0, NaN], [4, Infinity], [11, -Infinity]] as const) {
      dirty[i] = v;
      clean[i] = 0;
    }
    const a = (await trainLogistic(matrix(dirty, 200, 3), y, 2)) as LogisticModel;
    const b = (await trainLogistic(matrix(clean, 200, 3), y, 2)) as LogisticModel;
    expect(Array.from(a.coef)).toEqual(Array.from(b.coef));
    const P = a.predictProba(matrix(dirty, 200, 3));
    expect(Array.from(P)).toEqual(Array.from(a.predictProba(matrix(clean, 200, 3))));
  });

  it('a class absent from training gets probability 0; one class only is IPQ-D006', async () => {
    const { X, y } = synthetic(7, 200, 3, 2);
    const m = await trainLogistic(X, y, 3); // class 2 never occurs
    const P = m.predictProba(X);
    for (let i = 0; i < X.nRows; i++) expect(P[3 * i + 2]).toBe(0);
    const bin = await trainLogistic(X, y, 2);
    // Softmax over two present classes separates the same way as the sigmoid model.
    let agree = 0;
    const p3 = m.predict(X);
    const p2 = bin.predict(X);
    for (let i = 0; i < X.nRows; i++) agree += p3[i] === p2[i] ? 1 : 0;
    expect(agree / X.nRows).toBeGreaterThan(0.97);
    await expect(trainLogistic(X, new Int32Array(200), 2)).rejects.toSatisfy((e: unknown) => isIpqsecError(e, 'IPQ-D006'));
  });

  it('rejects bad hyper-parameters (IPQ-M006) and misuse (RangeError)', async () => {
    const { X, y } = synthetic(8, 50, 2, 2);
    for (const bad of [{ C: 0 }, { C: Infinity }, { maxIter: 0 }, { tol: -1 }, { memory: 0 }, { solver: 'sag' as 'auto' }]) {
      await expect(trainLogistic(X, y, 2, bad)).rejects.toSatisfy((e: unknown) => isIpqsecError(e, 'IPQ-M006'));
    }
    await expect(trainLogistic(X, y.subarray(1), 2)).rejects.toThrow(RangeError);
    await expect(trainLogistic(X, Int32Array.from(y, () => 5), 2)).rejects.toThrow(RangeError);
    await expect(trainLogistic(X, y, 2, {}, { sampleWeight: new Float64Array(50).fill(-1) })).rejects.toThrow(RangeError);
    const m = await trainLogistic(X, y, 2);
    expect(() => m.predict(fromRows([[1, 2, 3]]))).toThrow(RangeError);
  });

  it('fits a one-hot-like 30k × 122 standardised matrix quickly', async () => {
    const n = 30_000;
    const { X, y } = oneHotLike(9, n);
    const t0 = performance.now();
    const m = await trainLogistic(X, y, 2, { tol: 1e-4 });
    const ms = performance.now() - t0;
    const pred = m.predict(X);
    let acc = 0;
    for (let i = 0; i < n; i++) acc += pred[i] === y[i] ? 1 : 0;
    expect(acc / n).toBeGreaterThan(0.8);
    expect(ms).toBeLessThan(8000);
  });
});

/** 38 standardised numeric columns plus 3 one-hot groups (3 + 70 + 11 columns), like NSL-KDD after encoding. */
function oneHotLike(seed: number, n: number): { X: Matrix; y: Int32Array } {
  const rng = createRng(seed);
  const d = 122;
  const X = new Float64Array(n * d);
  const y = new Int32Array(n);
  const w = Array.from({ length: d }, () => rng.normal() * 0.5);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < 38; j++) X[o + j] = rng.normal();
    X[o + 38 + rng.int(3)] = 1;
    X[o + 41 + rng.int(70)] = 1;
    X[o + 111 + rng.int(11)] = 1;
    let z = 0;
    for (let j = 0; j < d; j++) z += w[j] * X[o + j];
    y[i] = rng.next() < 1 / (1 + Math.exp(-2 * z)) ? 1 : 0;
  }
  return { X: matrix(X, n, d), y };
}
