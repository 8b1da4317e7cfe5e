/**
 * Fitting and scoring one model on rows of a labelled data set: the steps every evaluation and every saved
 * model share, in the order that keeps test rows out of training.
 *
 *   preprocessing fitted on the training rows → training matrix → [SMOTE | class weights] → model.fit
 */
import type { Matrix } from '../core/matrix.js';
import { balancedSampleWeights } from '../data/class-weights.js';
import { fitPreprocessor, transform, type PreprocessorState } from '../data/preprocess.js';
import { smote } from '../data/smote.js';
import type { LabelledDataset } from '../data/table.js';
import type { Classifier, ModelKind, ProgressFn } from '../ml/classifier.js';
import { inputEncoding, trainModel } from '../ml/model-registry.js';

/** The prediction target: normal vs attack, or the data set's attack classes. */
export type Target = 'binary' | 'multiclass';

/** How one model is fitted. */
export interface FitSpec {
  readonly model: ModelKind;
  readonly target: Target;
  /** Model hyper-parameters (see each model's `*_DEFAULTS`); `seed` is added from {@link FitSpec.seed}. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Oversample minority classes with SMOTE (Chawla et al. 2002) on the training matrix. */
  readonly smote?: boolean;
  /** Weight rows by inverse class frequency (scikit-learn's `class_weight="balanced"`). */
  readonly classWeight?: 'balanced' | 'none';
  readonly seed: number;
  readonly threads?: number;
  readonly onProgress?: ProgressFn;
}

/** A fitted model with the preprocessing that feeds it. */
export interface FittedModel {
  readonly preprocessing: PreprocessorState;
  readonly model: Classifier;
  readonly featureNames: readonly string[];
  readonly labelNames: readonly string[];
  /** Wall-clock seconds of model training alone (preprocessing and SMOTE excluded). */
  readonly fitSeconds: number;
  readonly nTrainRows: number;
  /** Synthetic rows SMOTE added (0 without SMOTE). */
  readonly smoteRows: number;
}

/** The target vector and class names of a data set for `target`. */
export function targetOf(ds: LabelledDataset, target: Target): { y: Int32Array; labelNames: readonly string[] } {
  if (target === 'binary') return { y: Int32Array.from(ds.binary), labelNames: ['normal', 'attack'] };
  return { y: ds.multiclass, labelNames: ds.classNames };
}

function take(y: Int32Array, rows: ArrayLike<number> | undefined): Int32Array {
  if (rows === undefined) return y;
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i]];
  return out;
}

/**
 * Fits preprocessing and a model on `rows` of `ds` (all rows when omitted).
 * @throws IpqsecError from the model registry (unknown kind, binary-only model on a multiclass target) and
 *   from the model's parameter checks.
 */
export async function fitModel(ds: LabelledDataset, spec: FitSpec, rows?: ArrayLike<number>): Promise<FittedModel> {
  const enc = inputEncoding(spec.model);
  const preprocessing = fitPreprocessor(ds.features, enc, rows);
  const { X, featureNames } = transform(preprocessing, ds.features, rows);
  const { y: yAll, labelNames } = targetOf(ds, spec.target);
  let y = take(yAll, rows);
  let Xtr: Matrix = X;
  let smoteRows = 0;
  if (spec.smote === true && spec.model !== 'iforest') {
    const res = smote(X, y, { seed: spec.seed });
    Xtr = res.X;
    y = res.y;
    for (const a of res.added) smoteRows += a;
  }
  const sampleWeight = spec.classWeight === 'balanced' ? balancedSampleWeights(y) : undefined;
  const t0 = performance.now();
  const model = await trainModel(spec.model, Xtr, y, labelNames.length, { ...spec.params, seed: spec.seed }, {
    sampleWeight,
    onProgress: spec.onProgress,
    threads: spec.threads,
  });
  const fitSeconds = (performance.now() - t0) / 1000;
  return { preprocessing, model, featureNames, labelNames, fitSeconds, nTrainRows: Xtr.nRows, smoteRows };
}

/** Class probabilities and predictions for `rows` of `ds`, with the time the model took to predict. */
export interface Scored {
  readonly proba: Float64Array;
  readonly pred: Int32Array;
  readonly y: Int32Array;
  readonly nRows: number;
  /** Seconds spent in `predictProba` (preprocessing excluded, as the peers measure `predict_proba`). */
  readonly predictSeconds: number;
}

/** Scores `rows` of `ds` (all when omitted) with a fitted model. Test rows only pass through `transform`. */
export function scoreRows(fitted: FittedModel, ds: LabelledDataset, target: Target, rows?: ArrayLike<number>): Scored {
  const { X } = transform(fitted.preprocessing, ds.features, rows);
  const y = take(targetOf(ds, target).y, rows);
  const proba = new Float64Array(X.nRows * fitted.model.nClasses);
  const pred = new Int32Array(X.nRows);
  const t0 = performance.now();
  fitted.model.predictProba(X, proba);
  const predictSeconds = (performance.now() - t0) / 1000;
  fitted.model.predict(X, pred);
  return { proba, pred, y, nRows: X.nRows, predictSeconds };
}
