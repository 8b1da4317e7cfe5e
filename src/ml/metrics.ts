/**
 * Classification metrics as plain JSON-able objects, defined as scikit-learn 1.x defines them
 * (`accuracy_score`, `precision_recall_fscore_support`, `confusion_matrix`, `roc_auc_score`,
 * `classification_report`).
 *
 * Conventions:
 * - Binary labels: 0 = negative (normal), 1 = positive (attack).
 * - Zero division gives 0, as scikit-learn with `zero_division=0`: precision when nothing is predicted
 *   positive, recall when no positive exists, F1 when precision + recall = 0, FPR when no negative exists.
 * - Multiclass averages run over all `nClasses` labels, including labels absent from both arrays (scikit-learn
 *   with `labels=range(nClasses)`); F1 per class is 2PR/(P+R).
 * - ROC AUC needs scores (higher = more positive); it is `null` when scores are not given or a class is absent.
 */
import { rocAuc } from './roc.js';

export { downsampleRoc, rocAuc, rocCurve, type RocCurve } from './roc.js';

/** Binary confusion counts; as a matrix `[[tn, fp], [fn, tp]]` (rows = truth, columns = prediction). */
export interface BinaryConfusion {
  readonly tn: number;
  readonly fp: number;
  readonly fn: number;
  readonly tp: number;
}

/** Metrics of a binary classifier (positive class 1). */
export interface BinaryMetrics {
  /** (tp + tn) / n. */
  readonly accuracy: number;
  /** tp / (tp + fp), 0 when nothing is predicted positive. */
  readonly precision: number;
  /** Detection rate, tp / (tp + fn), 0 when no positive exists. */
  readonly recall: number;
  /** 2PR / (P + R), 0 when P + R = 0. */
  readonly f1: number;
  /** False-positive (false-alarm) rate fp / (fp + tn), 0 when no negative exists. */
  readonly fpr: number;
  /** Exact ROC AUC of the scores, or null without scores or when a class is absent. */
  readonly roc_auc: number | null;
  readonly confusion: BinaryConfusion;
}

/** Per-class precision, recall, F1 and support (number of true rows of the class). */
export interface ClassMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** Averaged precision, recall and F1. */
export interface AveragedMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Metrics of a K-class classifier. */
export interface MulticlassMetrics {
  readonly accuracy: number;
  /** Unweighted mean over the K classes. */
  readonly macro: AveragedMetrics;
  /** Mean over the K classes weighted by support. */
  readonly weighted: AveragedMetrics;
  /** Index = class. */
  readonly perClass: ClassMetrics[];
  /** K × K counts, `confusion[truth][prediction]`. */
  readonly confusion: number[][];
  /**
   * One-vs-rest macro ROC AUC from class probabilities (mean over classes with both positives and negatives),
   * or null without probabilities or when no class qualifies.
   */
  readonly roc_auc_ovr_macro: number | null;
}

function checkLengths(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, what: string): void {
  if (yTrue.length !== yPred.length) throw new RangeError(`${what}: ${yTrue.length} true labels, ${yPred.length} predictions`);
}

/** a / b, or 0 when b = 0 (scikit-learn `zero_division=0`). */
function safeDiv(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/**
 * Binary confusion counts.
 * @throws RangeError when lengths differ or a label is not 0/1.
 */
export function binaryConfusion(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): BinaryConfusion {
  checkLengths(yTrue, yPred, 'binaryConfusion');
  let tn = 0;
  let fp = 0;
  let fn = 0;
  let tp = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if ((t !== 0 && t !== 1) || (p !== 0 && p !== 1)) throw new RangeError(`binaryConfusion: labels at ${i} are ${t}/${p}, expected 0 or 1`);
    if (t === 1) {
      if (p === 1) tp++;
      else fn++;
    } else if (p === 1) fp++;
    else tn++;
  }
  return { tn, fp, fn, tp };
}

/**
 * Accuracy, precision, recall, F1, FPR, ROC AUC and confusion counts of binary predictions.
 * @param scores optional score per row (higher = more likely positive) for the ROC AUC.
 * @throws RangeError when lengths differ, a label is not 0/1 or a score is NaN.
 */
export function binaryMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, scores?: ArrayLike<number>): BinaryMetrics {
  const c = binaryConfusion(yTrue, yPred);
  const n = yTrue.length;
  const precision = safeDiv(c.tp, c.tp + c.fp);
  const recall = safeDiv(c.tp, c.tp + c.fn);
  const auc = scores === undefined ? Number.NaN : rocAuc(yTrue, scores);
  return {
    accuracy: safeDiv(c.tp + c.tn, n),
    precision,
    recall,
    f1: safeDiv(2 * precision * recall, precision + recall),
    fpr: safeDiv(c.fp, c.fp + c.tn),
    roc_auc: Number.isNaN(auc) ? null : auc,
    confusion: c,
  };
}

/**
 * K × K confusion matrix, `m[truth][prediction]`.
 * @throws RangeError when lengths differ or a label is outside [0, nClasses).
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, nClasses: number): number[][] {
  checkLengths(yTrue, yPred, 'confusionMatrix');
  if (!Number.isInteger(nClasses) || nClasses < 1) throw new RangeError(`confusionMatrix: nClasses must be an integer ≥ 1, got ${nClasses}`);
  const flat = new Float64Array(nClasses * nClasses);
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if (!(Number.isInteger(t) && t >= 0 && t < nClasses && Number.isInteger(p) && p >= 0 && p < nClasses)) {
      throw new RangeError(`confusionMatrix: labels at ${i} are ${t}/${p}, expected integers in [0, ${nClasses})`);
    }
    flat[t * nClasses + p]++;
  }
  return Array.from({ length: nClasses }, (_, r) => Array.from(flat.subarray(r * nClasses, (r + 1) * nClasses)));
}

/**
 * One-vs-rest macro ROC AUC: the mean over classes k of AUC(y = k, proba[·, k]), skipping classes that have
 * no positive or no negative row (scikit-learn `roc_auc_score(multi_class='ovr', average='macro')`, which
 * raises instead).
 * @param proba row-major `n × nClasses` probabilities (or any per-class scores).
 * @returns the mean AUC, or NaN when no class qualifies.
 * @throws RangeError on shape mismatch or labels out of range.
 */
export function rocAucOvr(yTrue: ArrayLike<number>, proba: ArrayLike<number>, nClasses: number): number {
  const n = yTrue.length;
  if (proba.length !== n * nClasses) throw new RangeError(`rocAucOvr: proba has ${proba.length} values, expected ${n}×${nClasses}`);
  const yk = new Uint8Array(n);
  const sk = new Float64Array(n);
  let sum = 0;
  let count = 0;
  for (let k = 0; k < nClasses; k++) {
    for (let i = 0; i < n; i++) {
      const t = yTrue[i];
      if (!(t >= 0 && t < nClasses)) throw new RangeError(`rocAucOvr: label ${t} at ${i} outside [0, ${nClasses})`);
      yk[i] = t === k ? 1 : 0;
      sk[i] = proba[i * nClasses + k];
    }
    const a = rocAuc(yk, sk);
    if (!Number.isNaN(a)) {
      sum += a;
      count++;
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}

/**
 * Accuracy, macro and weighted precision/recall/F1, per-class metrics, confusion matrix and, with
 * probabilities, the one-vs-rest macro ROC AUC.
 * @param proba optional row-major `n × nClasses` class probabilities.
 * @throws RangeError when lengths differ or labels are outside [0, nClasses).
 */
export function multiclassMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
  proba?: ArrayLike<number>,
): MulticlassMetrics {
  const confusion = confusionMatrix(yTrue, yPred, nClasses);
  const n = yTrue.length;
  const perClass: ClassMetrics[] = [];
  let correct = 0;
  const macro = { precision: 0, recall: 0, f1: 0 };
  const weighted = { precision: 0, recall: 0, f1: 0 };
  for (let k = 0; k < nClasses; k++) {
    const tp = confusion[k][k];
    correct += tp;
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < nClasses; j++) {
      support += confusion[k][j];
      predicted += confusion[j][k];
    }
    const precision = safeDiv(tp, predicted);
    const recall = safeDiv(tp, support);
    const f1 = safeDiv(2 * precision * recall, precision + recall);
    perClass.push({ precision, recall, f1, support });
    macro.precision += precision;
    macro.recall += recall;
    macro.f1 += f1;
    weighted.precision += support * precision;
    weighted.recall += support * recall;
    weighted.f1 += support * f1;
  }
  const auc = proba === undefined ? Number.NaN : rocAucOvr(yTrue, proba, nClasses);
  return {
    accuracy: safeDiv(correct, n),
    macro: { precision: macro.precision / nClasses, recall: macro.recall / nClasses, f1: macro.f1 / nClasses },
    weighted: { precision: safeDiv(weighted.precision, n), recall: safeDiv(weighted.recall, n), f1: safeDiv(weighted.f1, n) },
    perClass,
    confusion,
    roc_auc_ovr_macro: Number.isNaN(auc) ? null : auc,
  };
}

/** Arithmetic mean (NaN for an empty array); for aggregating cross-validation folds. */
export function mean(a: ArrayLike<number>): number {
  if (a.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

/** Median (mean of the two middle values for even length; NaN for an empty array). */
export function median(a: ArrayLike<number>): number {
  const n = a.length;
  if (n === 0) return Number.NaN;
  const s = Float64Array.from(a).sort();
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Standard deviation with `ddof` degrees of freedom removed (default 1, the sample SD; NaN when n ≤ ddof). */
export function std(a: ArrayLike<number>, ddof = 1): number {
  const n = a.length;
  if (n <= ddof) return Number.NaN;
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i] - m) * (a[i] - m);
  return Math.sqrt(s / (n - ddof));
}
