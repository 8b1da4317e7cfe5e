/**
 * Fixtures shared by the tree-model tests: labelled Gaussian blobs and plain accuracy.
 */
import { fromRows, type Matrix } from '../src/core/matrix.js';
import { createRng } from '../src/core/rng.js';

/** Fraction of rows where `p` equals `y`. */
export function accuracy(p: Int32Array, y: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (p[i] === y[i]) ok++;
  return ok / y.length;
}

/** `n` rows on `F` features, class `i mod K`; features 0 and 1 are centred at class · `sep`, the rest are noise. */
export function blobs(n: number, F: number, K: number, sep: number, seed: number): { X: Matrix; y: Int32Array } {
  const rng = createRng(seed);
  const rows: number[][] = [];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % K;
    rows.push(Array.from({ length: F }, (_, f) => (f < 2 ? y[i] * sep : 0) + rng.normal()));
  }
  return { X: fromRows(rows), y };
}
