import { describe, expect, it } from 'vitest';
import { fromRows } from '../core/matrix.js';
import { accumulateTrees, concatEnsembles, EnsembleBuilder, ensembleArrays, ensembleFromArrays, leafOf } from './tree.js';

/** Tree: x0 ≤ 1 (NaN left) ? (x1 ≤ 0 (NaN right) ? 10 : 20) : 30; second tree: a single leaf 1. */
function handTrees() {
  const b = new EnsembleBuilder(1);
  const root = b.addNode(0, 1, true);
  const inner = b.addNode(1, 0, false);
  b.setChild(root, true, inner);
  b.setChild(inner, true, b.addLeaf(10));
  b.setChild(inner, false, b.addLeaf(20));
  b.setChild(root, false, b.addLeaf(30));
  b.finishTree(root);
  b.finishTree(b.addLeaf(1));
  return b.build();
}

describe('tree ensemble', () => {
  const rows = [
    [0, -1],
    [0, 5],
    [2, -1],
    [Number.NaN, -1],
    [Number.NaN, Number.NaN],
    [Number.POSITIVE_INFINITY, 0],
    [Number.NEGATIVE_INFINITY, 0],
  ];
  const want = [10, 20, 30, 10, 20, 30, 10].map((v) => v + 1);

  it('routes rows by raw thresholds and missing-value directions (hand-computed)', () => {
    const t = handTrees();
    const out = new Float64Array(rows.length);
    accumulateTrees(t, fromRows(rows), out, 1);
    expect(Array.from(out)).toEqual(want);
  });

  it('lockstep block prediction equals one-row-at-a-time traversal on many rows', () => {
    const t = handTrees();
    const many = Array.from({ length: 1001 }, (_, i) => rows[i % rows.length]);
    const X = fromRows(many);
    const out = new Float64Array(many.length);
    accumulateTrees(t, X, out, 1);
    for (let r = 0; r < many.length; r++) {
      const v = t.leafValue[leafOf(t, t.roots[0], X.data, r * 2)] + t.leafValue[leafOf(t, t.roots[1], X.data, r * 2)];
      expect(out[r]).toBe(v);
    }
  });

  it('concatEnsembles keeps every tree’s predictions, and arrays round-trip', () => {
    const t = handTrees();
    const c = concatEnsembles([t, t]);
    const out = new Float64Array(rows.length);
    accumulateTrees(ensembleFromArrays(ensembleArrays(c), 1, 2), fromRows(rows), out, 1);
    expect(Array.from(out)).toEqual(want.map((v) => 2 * v));
  });

  it('rejects corrupt arrays (child index out of range, wrong type)', () => {
    const a = ensembleArrays(handTrees());
    const bad = { ...a, left: Int32Array.from(a.left as Int32Array, (v) => (v >= 0 ? 99 : v)) };
    expect(() => ensembleFromArrays(bad, 1, 2)).toThrow(RangeError);
    expect(() => ensembleFromArrays({ ...a, threshold: new Float32Array(3) }, 1, 2)).toThrow(TypeError);
    expect(() => ensembleFromArrays(a, 1, 1)).toThrow(RangeError);
  });
});
