import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromRows, matrix } from '../core/matrix.js';
import { createRng } from '../core/rng.js';
import { accumulatePacked, packEnsemble } from './tree-predict.js';
import { accumulateTrees, EnsembleBuilder, ensembleArrays, ensembleFromArrays, leafOf } from './tree.js';
import type { TreeEnsemble } from './tree.js';

/**
 * Oracle: every tree walked one row at a time with raw Float64 comparisons (`leafOf`), sums in tree order:
 * the definition of the ensemble's output, independent of the packed form.
 */
function oracle(t: TreeEnsemble, data: Float64Array, nRows: number, F: number, nCols: number): Float64Array {
  const out = new Float64Array(nRows * nCols);
  const K = t.nOutputs;
  for (let r = 0; r < nRows; r++) {
    for (let ti = 0; ti < t.nTrees; ti++) {
      const leaf = leafOf(t, t.roots[ti], data, r * F);
      if (K === 1) out[r * nCols + (ti % nCols)] += t.leafValue[leaf];
      else for (let k = 0; k < K; k++) out[r * nCols + k] += t.leafValue[leaf * K + k];
    }
  }
  return out;
}

/** Random trees whose thresholds come from a small pool (so rows hit thresholds exactly), random missing directions. */
function randomEnsemble(seed: number, nTrees: number, F: number, K: number, pool: number[]): TreeEnsemble {
  const rng = createRng(seed);
  const b = new EnsembleBuilder(K);
  const leafVals = new Float64Array(K);
  const grow = (depth: number): number => {
    if (depth >= 6 || (depth > 0 && rng.next() < 0.3)) {
      for (let k = 0; k < K; k++) leafVals[k] = rng.next() - 0.5;
      return b.addLeaf(leafVals);
    }
    const n = b.addNode(rng.int(F), pool[rng.int(pool.length)], rng.next() < 0.5);
    b.setChild(n, true, grow(depth + 1));
    b.setChild(n, false, grow(depth + 1));
    return n;
  };
  for (let i = 0; i < nTrees; i++) {
    // Some single-leaf trees (stored as a node with threshold +∞ whose children are the same leaf).
    if (i % 7 === 3) {
      for (let k = 0; k < K; k++) leafVals[k] = rng.next();
      b.finishTree(b.addLeaf(leafVals));
    } else b.finishTree(grow(0));
  }
  return b.build();
}

const POOL = [-3, -1.5, -0, 0, 0.25, 1, 2, 1e300, Number.POSITIVE_INFINITY];
const VALUES = [...POOL, Number.NaN, Number.NEGATIVE_INFINITY, -1e308, 5e-324, 0.3, 7];

function randomRows(seed: number, nRows: number, F: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: nRows * F }, () => (rng.next() < 0.8 ? VALUES[rng.int(VALUES.length)] : (rng.next() - 0.5) * 10));
}

describe('packed prediction', () => {
  it('equals the raw-value walk bit for bit: NaN both ways, ±Infinity, -0, values on and outside the thresholds', () => {
    const F = 5;
    const t = randomEnsemble(1, 40, F, 1, POOL);
    const p = packEnsemble(t);
    expect(p).not.toBeNull();
    const n = 1037; // not a multiple of the 8-row lanes nor of the 256-row block
    const data = randomRows(2, n, F);
    const out = new Float64Array(n);
    accumulatePacked(t, p!, matrix(data, n, F), out, 1, 0, t.nTrees);
    expect(out).toEqual(oracle(t, data, n, F, 1));
    // Through the public entry point too (it picks the packed path for whole ensembles of ≥ 64 rows).
    const out2 = new Float64Array(n);
    accumulateTrees(t, matrix(data, n, F), out2, 1);
    expect(out2).toEqual(out);
  });

  it('handles boosting rounds of several class trees and multi-output (forest) leaves', () => {
    const F = 4;
    const n = 300;
    const data = randomRows(3, n, F);
    const boosted = randomEnsemble(4, 30, F, 1, POOL);
    const o1 = new Float64Array(n * 3);
    accumulateTrees(boosted, matrix(data, n, F), o1, 3);
    expect(o1).toEqual(oracle(boosted, data, n, F, 3));
    const forest = randomEnsemble(5, 25, F, 3, POOL);
    const o2 = new Float64Array(n * 3);
    accumulateTrees(forest, matrix(data, n, F), o2, 3);
    expect(o2).toEqual(oracle(forest, data, n, F, 3));
  });

  it('a model rebuilt from its stored arrays (model file v1) predicts the same', () => {
    const F = 3;
    const t = randomEnsemble(6, 20, F, 1, POOL);
    const loaded = ensembleFromArrays(ensembleArrays(t), 1, F);
    const n = 200;
    const data = randomRows(7, n, F);
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    accumulateTrees(t, matrix(data, n, F), a, 1);
    accumulateTrees(loaded, matrix(data, n, F), b, 1);
    expect(b).toEqual(a);
  });

  it('declines to pack a NaN threshold or more than 254 thresholds on a feature; prediction still follows the raw walk', () => {
    const nan = new EnsembleBuilder(1);
    const r = nan.addNode(0, Number.NaN, false);
    nan.setChild(r, true, nan.addLeaf(1));
    nan.setChild(r, false, nan.addLeaf(2));
    nan.finishTree(r);
    const tNan = nan.build();
    expect(packEnsemble(tNan)).toBeNull();
    const many = randomEnsemble(8, 1, 1, 1, [0]);
    const wide = new EnsembleBuilder(1);
    for (let i = 0; i < 300; i++) {
      const nd = wide.addNode(0, i, false);
      wide.setChild(nd, true, wide.addLeaf(i));
      wide.setChild(nd, false, wide.addLeaf(-i));
      wide.finishTree(nd);
    }
    const tWide = wide.build();
    expect(packEnsemble(tWide)).toBeNull();
    expect(packEnsemble(many)).not.toBeNull();
    const rows = Array.from({ length: 100 }, (_, i) => [i * 3.1 - 5]);
    const X = fromRows(rows);
    for (const t of [tNan, tWide]) {
      const out = new Float64Array(100);
      accumulateTrees(t, X, out, 1);
      expect(out).toEqual(oracle(t, X.data, 100, 1, 1));
    }
  });

  it('property: equals the raw walk for random ensembles and rows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 6 }), (seed, n, F) => {
        const t = randomEnsemble(seed, 1 + (seed % 17), F, 1, POOL);
        const p = packEnsemble(t);
        if (p === null) return false;
        const data = randomRows(seed + 1, n, F);
        const out = new Float64Array(n);
        accumulatePacked(t, p, matrix(data, n, F), out, 1, 0, t.nTrees);
        const want = oracle(t, data, n, F, 1);
        return out.every((v, i) => Object.is(v, want[i]));
      }),
      { numRuns: 60 },
    );
  });
});
