import { describe, expect, it } from 'vitest';
import type { Matrix } from '../core/matrix.js';
import { createRng } from '../core/rng.js';
import { trainGbdt } from './gbdt.js';
import { deserializeHybrid, trainHybrid } from './hybrid.js';
import { trainIsolationForest, type IsolationForestModel } from './iforest.js';

/**
 * Normal rows: a Gaussian blob at the origin. Known attacks: a blob at (6, 6). Novel attacks (never in training):
 * a blob at (−6, 6). The oracle is the generating process.
 */
function blobs(n: number, seed: number, centres: [number, number, number][]): { X: Matrix; y: Int32Array } {
  const rng = createRng(seed);
  const data = new Float64Array(n * centres.length * 2);
  const y = new Int32Array(n * centres.length);
  let r = 0;
  for (const [cx, cy, label] of centres) {
    for (let i = 0; i < n; i++, r++) {
      data[2 * r] = cx + rng.normal();
      data[2 * r + 1] = cy + rng.normal();
      y[r] = label;
    }
  }
  return { X: { data, nRows: r, nCols: 2 }, y };
}

describe('hybrid detector', () => {
  const train = blobs(400, 1, [
    [0, 0, 0],
    [6, 6, 1],
  ]);
  const novel = blobs(200, 2, [[-6, 6, 1]]);
  const normalTest = blobs(400, 3, [[0, 0, 0]]);

  it('catches attacks the supervised part never saw, at about the quantile false-positive rate', async () => {
    const gbdt = await trainGbdt(train.X, train.y, 2, { seed: 1 });
    const hybrid = await trainHybrid(train.X, train.y, 2, { seed: 1, quantile: 0.95 });
    const recall = (pred: Int32Array) => pred.reduce((a, b) => a + b, 0) / pred.length;
    // GBDT extrapolates the novel blob to whichever side its splits put it; the hybrid flags it as unlike normal.
    expect(recall(hybrid.predict(novel.X))).toBeGreaterThan(0.95);
    expect(recall(hybrid.predict(novel.X))).toBeGreaterThanOrEqual(recall(gbdt.predict(novel.X)));
    const fpr = recall(hybrid.predict(normalTest.X));
    expect(fpr).toBeLessThan(0.12);
    expect(fpr).toBeGreaterThan(0.01);
  });

  it('is the OR of its parts: attack iff GBDT says attack or the anomaly score passes the quantile threshold', async () => {
    const hybrid = await trainHybrid(train.X, train.y, 2, { seed: 3, quantile: 0.9 });
    const all = blobs(100, 4, [
      [0, 0, 0],
      [6, 6, 1],
      [-6, 6, 1],
      [3, 3, 1],
    ]);
    const g = hybrid.gbdt.predict(all.X);
    const s = hybrid.iforest.scoreSamples(all.X);
    const h = hybrid.predict(all.X);
    // Threshold from an independent isolation forest fitted with the same seed and quantile.
    const ref = (await trainIsolationForest(train.X, train.y, 2, { seed: 3, quantile: 0.9 })) as IsolationForestModel;
    let agree = 0;
    for (let i = 0; i < all.X.nRows; i++) if (h[i] === (g[i] === 1 || s[i] > ref.threshold ? 1 : 0)) agree++;
    // The stored distribution is a 513-point quantile table, so rows within a hair of the threshold may differ.
    expect(agree / all.X.nRows).toBeGreaterThan(0.99);
  });

  it('round-trips through serialisation and refuses a multiclass target', async () => {
    const hybrid = await trainHybrid(train.X, train.y, 2, { seed: 5 });
    const back = deserializeHybrid(hybrid.serialize());
    expect(Array.from(back.predictProba(novel.X))).toEqual(Array.from(hybrid.predictProba(novel.X)));
    await expect(trainHybrid(train.X, train.y, 3)).rejects.toMatchObject({ code: 'IPQ-M007' });
  });
});
