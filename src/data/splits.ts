/**
 * Train/test splits: stratified k-fold, stratified hold-out, and time-ordered hold-out.
 *
 * All index arrays are `Int32Array` of row indices; train and test of one split are disjoint and together
 * cover every row.
 */
import { IpqsecError } from '../core/errors.js';
import { createRng, shuffleInPlace } from '../core/rng.js';
import { compareByTime } from './_time-order.js';

/** One split. */
export interface Split {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/** Rows of each class, in row order. */
function byClass(y: Int32Array | Uint8Array): Int32Array[] {
  let k = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] < 0) throw new RangeError(`class labels must be >= 0, row ${i} has ${y[i]}`);
    if (y[i] + 1 > k) k = y[i] + 1;
  }
  const counts = new Int32Array(k);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  const out = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(k);
  for (let i = 0; i < y.length; i++) out[y[i]][fill[y[i]]++] = i;
  return out.filter((a) => a.length > 0);
}

/**
 * Stratified k-fold cross-validation, in the spirit of scikit-learn's `StratifiedKFold(shuffle=True)`: the rows
 * of each class are shuffled with `seed` and dealt round-robin to the folds, the dealing continuing across
 * classes (class 0 from fold 0, the next class from where the previous stopped), so each class's count per
 * test fold and each test fold's size differ by at most one. A class with fewer than `k` rows appears in only
 * some test folds. Index arrays are sorted ascending.
 *
 * @param y class per row (0-based).
 * @throws IpqsecError IPQ-D012 when `k` is not an integer in [2, rows], or exceeds the row count of every class
 *   (scikit-learn's condition).
 */
export function stratifiedKFold(y: Int32Array | Uint8Array, k: number, seed: number): Split[] {
  const n = y.length;
  if (!Number.isInteger(k) || k < 2 || k > n) {
    throw new IpqsecError('IPQ-D012', `k-fold needs an integer k with 2 <= k <= ${n} rows, got ${k}`);
  }
  const classes = byClass(y);
  if (classes.every((c) => c.length < k)) {
    throw new IpqsecError('IPQ-D012', `k = ${k} exceeds the row count of every class (largest: ${Math.max(...classes.map((c) => c.length))})`);
  }
  const rng = createRng(seed);
  const fold = new Int32Array(n);
  let next = 0;
  for (const rows of classes) {
    shuffleInPlace(rows, rng);
    for (let i = 0; i < rows.length; i++) {
      fold[rows[i]] = next;
      next = next + 1 === k ? 0 : next + 1;
    }
  }
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) sizes[fold[i]]++;
  const splits: Split[] = [];
  for (let f = 0; f < k; f++) {
    const test = new Int32Array(sizes[f]);
    const train = new Int32Array(n - sizes[f]);
    let a = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      if (fold[i] === f) test[a++] = i;
      else train[b++] = i;
    }
    splits.push({ train, test });
  }
  return splits;
}

function checkFraction(f: number, n: number): void {
  if (!(f > 0 && f < 1)) throw new IpqsecError('IPQ-D012', `train fraction must be in (0, 1), got ${f}`);
  if (n < 2) throw new IpqsecError('IPQ-D012', `a hold-out split needs at least 2 rows, got ${n}`);
}

/**
 * Stratified hold-out split: per class, `round(trainFraction × count)` shuffled rows go to train (at least one
 * row to each side when the class has two or more rows), the rest to test. Index arrays are sorted ascending.
 * @throws IpqsecError IPQ-D012 when `trainFraction` is not in (0, 1) or there are fewer than 2 rows.
 */
export function stratifiedHoldout(y: Int32Array | Uint8Array, trainFraction: number, seed: number): Split {
  const n = y.length;
  checkFraction(trainFraction, n);
  const rng = createRng(seed);
  const inTrain = new Uint8Array(n);
  let nTrain = 0;
  for (const rows of byClass(y)) {
    shuffleInPlace(rows, rng);
    let t = Math.round(trainFraction * rows.length);
    if (rows.length >= 2) t = Math.min(Math.max(t, 1), rows.length - 1);
    for (let i = 0; i < t; i++) inTrain[rows[i]] = 1;
    nTrain += t;
  }
  if (nTrain === 0 || nTrain === n) throw new IpqsecError('IPQ-D012', `split of ${n} rows at ${trainFraction} leaves one side empty`);
  const train = new Int32Array(nTrain);
  const test = new Int32Array(n - nTrain);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (inTrain[i] === 1) train[a++] = i;
    else test[b++] = i;
  }
  return { train, test };
}

/**
 * Row indices sorted by time, stable (ties keep file order); `NaN` times sort last.
 * Cost: O(n log n).
 */
export function timeOrder(time: Float64Array): Int32Array {
  const idx = Int32Array.from({ length: time.length }, (_, i) => i);
  // Int32Array.prototype.sort with a comparator is stable (ECMAScript 2019); the index tie-break makes it explicit.
  idx.sort((a, b) => compareByTime(time, a, b));
  return idx;
}

/**
 * Time-ordered hold-out: the earliest `round(trainFraction × n)` rows by time train, the later rows test
 * (ties broken by file order, `NaN` times counted as latest). Indices are in time order.
 * @throws IpqsecError IPQ-D012 when `trainFraction` is not in (0, 1) or a side would be empty.
 */
export function timeOrderedSplit(time: Float64Array, trainFraction: number): Split {
  const n = time.length;
  checkFraction(trainFraction, n);
  const t = Math.round(trainFraction * n);
  if (t === 0 || t === n) throw new IpqsecError('IPQ-D012', `split of ${n} rows at ${trainFraction} leaves one side empty`);
  const order = timeOrder(time);
  return { train: order.slice(0, t), test: order.slice(t) };
}
