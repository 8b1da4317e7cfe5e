/**
 * SMOTE: Synthetic Minority Over-sampling TEchnique (Chawla, Bowyer, Hall and Kegelmeyer, JAIR 16, 2002).
 *
 * For a class below its target count, each synthetic point is `x + u · (nn − x)` with `x` a row of the class,
 * `nn` one of the `k` nearest neighbours of `x` within the same class (Euclidean distance on the already
 * numeric, preferably standardised, features) and `u ~ U[0, 1)` (the paper's Algorithm SMOTE, "Populate").
 * Base rows are taken round-robin over a seeded shuffle of the class, so each row gets ⌊need / count⌋ or one
 * more synthetic children, as the paper's N % per sample.
 *
 * Non-finite values: a feature where either `x` or `nn` is `NaN` or `±Infinity` is ignored in distances
 * and copied from `x` in the synthetic point (so a missing value stays missing rather than crashing).
 *
 * Cost: brute-force neighbours, O(m · c · d) per class with `m` rows used as base points, `c` candidate
 * neighbours and `d` features. `c` is the whole class up to `maxCandidates` (default 5,000) rows; above that,
 * neighbours are searched among a seeded random subset of `maxCandidates` rows of the class (an approximation
 * that keeps a 50,000-row class from costing 2.5·10⁹ distance evaluations).
 */
import type { Matrix } from '../core/matrix.js';
import { createRng, shuffleInPlace } from '../core/rng.js';

/** Options of {@link smote}. */
export interface SmoteOptions {
  /** Seed of all random choices. */
  readonly seed: number;
  /** Neighbours per point (default 5, as in the paper); capped at class size − 1. */
  readonly k?: number;
  /**
   * Target count per oversampled class: an absolute count, or (default) `ratio` × the majority class count.
   * Classes already at or above it are left alone.
   */
  readonly targetCount?: number;
  /** Fraction of the majority count to reach (default 1). Ignored when `targetCount` is given. */
  readonly ratio?: number;
  /** Only these classes are oversampled (default: every class below the target). */
  readonly classes?: readonly number[];
  /** Candidate-neighbour cap per class (default 5,000). */
  readonly maxCandidates?: number;
}

/** Result of {@link smote}: the original rows first, then the synthetic rows. */
export interface SmoteResult {
  readonly X: Matrix;
  readonly y: Int32Array;
  /** Synthetic rows added per class. */
  readonly added: Int32Array;
}

/**
 * Oversamples minority classes with SMOTE. A class with fewer than 2 rows cannot be interpolated and is left
 * as it is.
 * @throws RangeError when `y.length !== X.nRows`, a label is negative, or `k`, `targetCount`, `ratio`,
 *   `maxCandidates` are out of range.
 */
export function smote(X: Matrix, y: Int32Array, opts: SmoteOptions): SmoteResult {
  const { nRows: n, nCols: d, data } = X;
  if (y.length !== n) throw new RangeError(`smote: ${y.length} labels for ${n} rows`);
  const k0 = opts.k ?? 5;
  if (!Number.isInteger(k0) || k0 < 1) throw new RangeError(`smote: k must be a positive integer, got ${k0}`);
  const maxCand = opts.maxCandidates ?? 5000;
  if (!Number.isInteger(maxCand) || maxCand < 2) throw new RangeError(`smote: maxCandidates must be an integer >= 2, got ${maxCand}`);
  const ratio = opts.ratio ?? 1;
  if (!(ratio > 0)) throw new RangeError(`smote: ratio must be > 0, got ${ratio}`);
  if (opts.targetCount !== undefined && !(Number.isInteger(opts.targetCount) && opts.targetCount >= 0)) {
    throw new RangeError(`smote: targetCount must be a non-negative integer, got ${opts.targetCount}`);
  }
  let nClasses = 0;
  for (let i = 0; i < n; i++) {
    if (y[i] < 0) throw new RangeError(`smote: negative label at row ${i}`);
    if (y[i] + 1 > nClasses) nClasses = y[i] + 1;
  }
  const counts = new Int32Array(nClasses);
  for (let i = 0; i < n; i++) counts[y[i]]++;
  const majority = counts.reduce((m, c) => Math.max(m, c), 0);
  const target = opts.targetCount ?? Math.round(ratio * majority);
  const allowed = opts.classes === undefined ? undefined : new Set(opts.classes);

  const rng = createRng(opts.seed);
  const added = new Int32Array(nClasses);
  let total = 0;
  for (let c = 0; c < nClasses; c++) {
    if ((allowed === undefined || allowed.has(c)) && counts[c] >= 2 && counts[c] < target) {
      added[c] = target - counts[c];
      total += added[c];
    }
  }
  const out = new Float64Array((n + total) * d);
  out.set(data);
  const yOut = new Int32Array(n + total);
  yOut.set(y);
  let w = n;

  for (let c = 0; c < nClasses; c++) {
    const need = added[c];
    if (need === 0) continue;
    const rows = new Int32Array(counts[c]);
    for (let i = 0, j = 0; i < n; i++) if (y[i] === c) rows[j++] = i;
    shuffleInPlace(rows, rng);
    const m = rows.length;
    // Candidate neighbours: the whole class, or a random subset of maxCand rows (rows is already shuffled,
    // so its prefix is a uniform random subset).
    const cand = m > maxCand ? rows.subarray(0, maxCand) : rows;
    const k = Math.min(k0, cand.length - 1);
    const nnIdx = new Int32Array(k);
    const nnDist = new Float64Array(k);
    // Base rows used: round-robin over the shuffled class; neighbours computed once per base row.
    const bases = Math.min(need, m);
    const neighbours = new Int32Array(bases * k);
    for (let b = 0; b < bases; b++) {
      const xi = rows[b];
      let found = 0;
      for (let q = 0; q < cand.length; q++) {
        const r = cand[q];
        if (r === xi) continue;
        let dist = 0;
        const ox = xi * d;
        const or = r * d;
        for (let f = 0; f < d; f++) {
          const diff = data[ox + f] - data[or + f];
          if (Number.isFinite(diff)) dist += diff * diff;
        }
        // Insertion into the sorted top-k list.
        // A free slot while fewer than k are found, else the last slot if `dist` beats it; then shift into place.
        let p = found < k ? found++ : dist < nnDist[k - 1] ? k - 1 : -1;
        if (p >= 0) {
          while (p > 0 && nnDist[p - 1] > dist) {
            nnDist[p] = nnDist[p - 1];
            nnIdx[p] = nnIdx[p - 1];
            p--;
          }
          nnDist[p] = dist;
          nnIdx[p] = r;
        }
      }
      // Fewer candidates than k (only possible when the base row is outside a capped candidate set): pad.
      for (let p = found; p < k; p++) nnIdx[p] = nnIdx[p % Math.max(found, 1)];
      neighbours.set(nnIdx, b * k);
    }
    for (let s = 0; s < need; s++) {
      const b = s % bases;
      const xi = rows[b];
      const nn = neighbours[b * k + rng.int(k)];
      const u = rng.next();
      const ox = xi * d;
      const on = nn * d;
      const ow = w * d;
      for (let f = 0; f < d; f++) {
        const a = data[ox + f];
        const bb = data[on + f];
        out[ow + f] = Number.isFinite(a) && Number.isFinite(bb) ? a + u * (bb - a) : a;
      }
      yOut[w] = c;
      w++;
    }
  }
  return { X: { data: out, nRows: n + total, nCols: d }, y: yOut, added };
}
