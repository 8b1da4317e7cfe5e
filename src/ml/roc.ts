/**
 * Receiver operating characteristic: the exact area under the curve and the curve's points.
 *
 * The AUC is the Mann–Whitney U statistic divided by P·N: the probability that a random positive scores
 * above a random negative, ties counting one half (Hanley & McNeil, Radiology 143, 1982). It equals the
 * trapezoidal area under the ROC curve whose vertices are the distinct score thresholds, which is how
 * scikit-learn's `roc_auc_score` computes it (Fawcett, "An introduction to ROC analysis", Pattern
 * Recognition Letters 27, 2006, Alg. 2). Counts are integers, so the area is exact up to one final division.
 *
 * Cost: O(n log n) for sorting (native typed-array sort of positives and negatives separately).
 */

/** ROC curve as parallel arrays, JSON-able except for the first threshold (+Infinity, serialised as null). */
export interface RocCurve {
  /** False-positive rate FP/N at each vertex, non-decreasing from 0 to 1. */
  readonly fpr: number[];
  /** True-positive rate TP/P at each vertex, non-decreasing from 0 to 1. */
  readonly tpr: number[];
  /**
   * Score threshold of each vertex: rows with score ≥ threshold are called positive. Decreasing; the first is
   * +Infinity (nothing called positive), as scikit-learn ≥ 1.3.
   */
  readonly thresholds: number[];
}

/** Positive (label 1) and negative (label 0) scores, each sorted ascending. */
function splitSorted(yTrue: ArrayLike<number>, scores: ArrayLike<number>, what: string): { pos: Float64Array; neg: Float64Array } {
  const n = yTrue.length;
  if (scores.length !== n) throw new RangeError(`${what}: ${scores.length} scores for ${n} labels`);
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i];
    if (y === 1) nPos++;
    else if (y !== 0) throw new RangeError(`${what}: label ${y} at ${i} is not 0 or 1`);
    if (Number.isNaN(scores[i])) throw new RangeError(`${what}: score at ${i} is NaN`);
  }
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(n - nPos);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (yTrue[i] === 1) pos[a++] = scores[i];
    else neg[b++] = scores[i];
  }
  pos.sort();
  neg.sort();
  return { pos, neg };
}

/**
 * Exact ROC AUC of `scores` (higher = more positive) against binary labels (1 = positive), ties handled as
 * the Mann–Whitney statistic (= scikit-learn's `roc_auc_score`).
 *
 * @returns the AUC in [0, 1], or NaN when either class is absent (scikit-learn raises there).
 * @throws RangeError when lengths differ, a label is not 0/1 or a score is NaN.
 */
export function rocAuc(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { pos, neg } = splitSorted(yTrue, scores, 'rocAuc');
  const P = pos.length;
  const N = neg.length;
  if (P === 0 || N === 0) return Number.NaN;
  // U = Σ over positives of (#negatives below + ½ #negatives tied), walking both sorted arrays once.
  // 2U is an integer below 2^53 for any realistic n, so the sum is exact.
  let twiceU = 0;
  let below = 0;
  let i = 0;
  while (i < P) {
    const s = pos[i];
    let j = i;
    while (j < P && pos[j] === s) j++;
    while (below < N && neg[below] < s) below++;
    let tied = below;
    while (tied < N && neg[tied] === s) tied++;
    twiceU += (j - i) * (2 * below + (tied - below));
    i = j;
  }
  return twiceU / (2 * P * N);
}

/**
 * ROC curve vertices, one per distinct score (descending), preceded by (0, 0) at threshold +Infinity.
 *
 * @param opts.dropIntermediate drop vertices on straight segments, exactly as scikit-learn's
 *   `roc_curve(drop_intermediate=True)` (a vertex is kept when the second difference of FP or TP counts
 *   around it is non-zero). Default false. The area is unchanged.
 * @returns the curve; when a class is absent its rate is 0 everywhere (scikit-learn gives NaN).
 * @throws RangeError as {@link rocAuc}.
 */
export function rocCurve(yTrue: ArrayLike<number>, scores: ArrayLike<number>, opts: { dropIntermediate?: boolean } = {}): RocCurve {
  const { pos, neg } = splitSorted(yTrue, scores, 'rocCurve');
  const P = pos.length;
  const N = neg.length;
  // Walk thresholds from the highest score down, merging the two ascending arrays from their ends.
  const fps: number[] = [];
  const tps: number[] = [];
  const thr: number[] = [];
  let a = P - 1;
  let b = N - 1;
  let tp = 0;
  let fp = 0;
  while (a >= 0 || b >= 0) {
    const s = a < 0 ? neg[b] : b < 0 ? pos[a] : Math.max(pos[a], neg[b]);
    while (a >= 0 && pos[a] === s) {
      a--;
      tp++;
    }
    while (b >= 0 && neg[b] === s) {
      b--;
      fp++;
    }
    fps.push(fp);
    tps.push(tp);
    thr.push(s);
  }
  let keep: number[] | undefined;
  if (opts.dropIntermediate === true && fps.length > 2) {
    keep = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      if (fps[i + 1] - 2 * fps[i] + fps[i - 1] !== 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
  }
  const idx = keep ?? fps.map((_, i) => i);
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  for (const i of idx) {
    fpr.push(N === 0 ? 0 : fps[i] / N);
    tpr.push(P === 0 ? 0 : tps[i] / P);
    thresholds.push(thr[i]);
  }
  return { fpr, tpr, thresholds };
}

/**
 * At most `maxPoints` vertices of `curve` for charts, spaced evenly along the curve's length (so steep and
 * flat parts keep their shape), always keeping the first and last vertex. A curve already short enough is
 * returned as a copy.
 * @throws RangeError when `maxPoints < 2` or not an integer.
 */
export function downsampleRoc(curve: RocCurve, maxPoints: number): RocCurve {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new RangeError(`downsampleRoc: maxPoints must be an integer ≥ 2, got ${maxPoints}`);
  const n = curve.fpr.length;
  if (n <= maxPoints) return { fpr: curve.fpr.slice(), tpr: curve.tpr.slice(), thresholds: curve.thresholds.slice() };
  const cum = new Float64Array(n);
  for (let i = 1; i < n; i++) cum[i] = cum[i - 1] + Math.hypot(curve.fpr[i] - curve.fpr[i - 1], curve.tpr[i] - curve.tpr[i - 1]);
  const total = cum[n - 1];
  const out: RocCurve = { fpr: [], tpr: [], thresholds: [] };
  const push = (i: number): void => {
    out.fpr.push(curve.fpr[i]);
    out.tpr.push(curve.tpr[i]);
    out.thresholds.push(curve.thresholds[i]);
  };
  push(0);
  let last = 0;
  let i = 1;
  for (let k = 1; k < maxPoints - 1; k++) {
    const target = (total * k) / (maxPoints - 1);
    while (i < n - 1 && cum[i] < target) i++;
    if (i >= n - 1) break;
    if (i > last) {
      push(i);
      last = i;
    }
  }
  push(n - 1);
  return out;
}
