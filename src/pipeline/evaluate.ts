/**
 * The evaluation protocol: splits, fit on training rows, score on test rows, metrics.
 *
 * Splits (see README "Evaluation protocol"):
 * - `train-test`: the official training file against one or more test files (NSL-KDD KDDTest+, KDDTest-21);
 * - `cv`: stratified k-fold cross-validation, seeded; metrics are the mean over folds, the confusion matrix
 *   the sum over folds, as scikit-learn's `cross_validate` users report them;
 * - `holdout`: one stratified split, `fraction` of the rows for training;
 * - `time`: time-ordered split, the earliest `fraction` of the rows for training (telemetry).
 */
import { IpqsecError } from '../core/errors.js';
import { stratifiedHoldout, stratifiedKFold, timeOrderedSplit, type Split } from '../data/splits.js';
import type { LabelledDataset } from '../data/table.js';
import { binaryMetrics, downsampleRoc, multiclassMetrics, rocCurve } from '../ml/metrics.js';
import { subsetDataset } from '../data/subset.js';
import { fitModel, scoreRows, targetOf, type FitSpec, type FittedModel, type Scored } from './fit.js';
import { tune, type Candidate, type TuneScheme } from './tune.js';

/** Which rows train and which test. */
export type SplitSpec =
  | { readonly kind: 'train-test'; readonly tests: readonly { readonly name: string; readonly data: LabelledDataset }[] }
  | { readonly kind: 'cv'; readonly k: number; readonly seed: number }
  | { readonly kind: 'holdout'; readonly fraction: number; readonly seed: number }
  | { readonly kind: 'time'; readonly fraction: number };

/** Per-class figures of a multiclass evaluation. */
export interface PerClass {
  readonly label: string;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** Metrics of one test set (or the mean over CV folds). Keys are the `--json` keys. */
export interface TestResult {
  readonly name: string;
  readonly rows: number;
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** False-positive rate: normal rows flagged as any attack, over all normal rows. */
  readonly fpr: number;
  /** Binary: ROC-AUC of the attack probability. Multiclass: one-vs-rest macro AUC. */
  readonly roc_auc: number | null;
  /** Multiclass only: AUC of normal vs any attack, scored by 1 − p(normal). */
  readonly attack_roc_auc?: number | null;
  /** Rows = true class, columns = predicted class, in `labels` order. */
  readonly confusion: number[][];
  readonly per_class?: readonly PerClass[];
  /** Points of the (attack vs normal) ROC curve, at most 200, for reports. */
  readonly roc?: { readonly fpr: number[]; readonly tpr: number[] };
}

/** The outcome of {@link evaluate}: the first test set's metrics at top level, every test set under `tests`. */
export interface EvaluationResult extends Omit<TestResult, 'name' | 'roc'> {
  readonly dataset: string;
  readonly model: string;
  readonly target: FitSpec['target'];
  readonly split: string;
  readonly labels: readonly string[];
  /** Mean seconds to fit the model (per fold for CV), preprocessing excluded. */
  readonly fit_seconds: number;
  /** Rows scored per second by the model's batch prediction. */
  readonly predict_rows_per_second: number;
  readonly train_rows: number;
  readonly tests: readonly TestResult[];
  readonly folds?: readonly TestResult[];
  readonly feature_importance?: readonly { readonly name: string; readonly value: number }[];
  readonly smote_rows?: number;
  readonly skipped_rows: number;
  readonly params: Readonly<Record<string, unknown>>;
  readonly seed: number;
  /** With nested tuning: the candidate chosen for each fit. */
  readonly tuned?: readonly TunedChoice[];
}

/** Metrics of scored rows, in the {@link TestResult} shape. */
export function resultOf(name: string, s: Scored, labels: readonly string[], withRoc: boolean): TestResult {
  const k = labels.length;
  if (k === 2) {
    const score = new Float64Array(s.nRows);
    for (let i = 0; i < s.nRows; i++) score[i] = s.proba[i * 2 + 1];
    const m = binaryMetrics(s.y, s.pred, score);
    const c = m.confusion;
    return {
      name,
      rows: s.nRows,
      accuracy: m.accuracy,
      precision: m.precision,
      recall: m.recall,
      f1: m.f1,
      fpr: m.fpr,
      roc_auc: m.roc_auc,
      confusion: [
        [c.tn, c.fp],
        [c.fn, c.tp],
      ],
      ...(withRoc ? { roc: downsampledRoc(s.y, score) } : {}),
    };
  }
  const m = multiclassMetrics(s.y, s.pred, k, s.proba);
  // Attack vs normal view of a multiclass model: class 0 is normal.
  const yBin = new Int32Array(s.nRows);
  const pBin = new Int32Array(s.nRows);
  const attackScore = new Float64Array(s.nRows);
  for (let i = 0; i < s.nRows; i++) {
    yBin[i] = s.y[i] === 0 ? 0 : 1;
    pBin[i] = s.pred[i] === 0 ? 0 : 1;
    attackScore[i] = 1 - s.proba[i * k];
  }
  const b = binaryMetrics(yBin, pBin, attackScore);
  return {
    name,
    rows: s.nRows,
    accuracy: m.accuracy,
    precision: m.macro.precision,
    recall: m.macro.recall,
    f1: m.macro.f1,
    fpr: b.fpr,
    roc_auc: m.roc_auc_ovr_macro,
    attack_roc_auc: b.roc_auc,
    confusion: m.confusion,
    per_class: labels.map((label, c) => ({
      label,
      precision: m.perClass[c].precision,
      recall: m.perClass[c].recall,
      f1: m.perClass[c].f1,
      support: m.perClass[c].support,
    })),
    ...(withRoc ? { roc: downsampledRoc(yBin, attackScore) } : {}),
  };
}

function downsampledRoc(y: Int32Array, score: Float64Array): { fpr: number[]; tpr: number[] } | undefined {
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i] === 0 ? 0 : 1;
  if (pos === 0 || pos === y.length) return undefined; // a curve needs both classes
  const r = downsampleRoc(rocCurve(y, score), 200);
  return { fpr: r.fpr, tpr: r.tpr };
}

function meanResult(name: string, folds: readonly TestResult[], labels: readonly string[]): TestResult {
  const mean = (f: (t: TestResult) => number | null | undefined): number | null => {
    let s = 0;
    let n = 0;
    for (const t of folds) {
      const v = f(t);
      if (v === null || v === undefined) continue;
      s += v;
      n++;
    }
    return n === 0 ? null : s / n;
  };
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const t of folds) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) confusion[i][j] += t.confusion[i][j];
  const perClass = folds[0].per_class
    ? labels.map((label, c) => ({
        label,
        precision: mean((t) => t.per_class?.[c].precision) ?? 0,
        recall: mean((t) => t.per_class?.[c].recall) ?? 0,
        f1: mean((t) => t.per_class?.[c].f1) ?? 0,
        support: folds.reduce((a, t) => a + (t.per_class?.[c].support ?? 0), 0),
      }))
    : undefined;
  return {
    name,
    rows: folds.reduce((a, t) => a + t.rows, 0),
    accuracy: mean((t) => t.accuracy) ?? 0,
    precision: mean((t) => t.precision) ?? 0,
    recall: mean((t) => t.recall) ?? 0,
    f1: mean((t) => t.f1) ?? 0,
    fpr: mean((t) => t.fpr) ?? 0,
    roc_auc: mean((t) => t.roc_auc),
    ...(k > 2 ? { attack_roc_auc: mean((t) => t.attack_roc_auc) } : {}),
    confusion,
    ...(perClass ? { per_class: perClass } : {}),
    ...(folds[0].roc ? { roc: folds[0].roc } : {}),
  };
}

function describeSplit(split: SplitSpec): string {
  switch (split.kind) {
    case 'train-test':
      return `train → ${split.tests.map((t) => t.name).join(', ')}`;
    case 'cv':
      return `stratified ${split.k}-fold CV, seed ${split.seed}`;
    case 'holdout':
      return `stratified ${Math.round(split.fraction * 100)}/${Math.round((1 - split.fraction) * 100)} holdout, seed ${split.seed}`;
    case 'time':
      return `time-ordered ${Math.round(split.fraction * 100)}/${Math.round((1 - split.fraction) * 100)} split`;
  }
}

function splitsOf(ds: LabelledDataset, split: Exclude<SplitSpec, { kind: 'train-test' }>, y: Int32Array): Split[] {
  switch (split.kind) {
    case 'cv':
      return stratifiedKFold(y, split.k, split.seed);
    case 'holdout':
      return [stratifiedHoldout(y, split.fraction, split.seed)];
    case 'time':
      if (ds.time === undefined) throw new IpqsecError('IPQ-D010', `${ds.name} has no time column`);
      return [timeOrderedSplit(ds.time, split.fraction)];
  }
}

function importanceOf(f: FittedModel): { name: string; value: number }[] | undefined {
  const imp = f.model.featureImportance();
  if (imp === undefined) return undefined;
  return f.featureNames.map((name, i) => ({ name, value: imp[i] })).sort((a, b) => b.value - a.value);
}

/**
 * Nested hyper-parameter selection: before each fit, the candidates are scored by an inner `k`-fold CV on that
 * fit's training rows only, and the best is fitted. The test rows of the fit never take part.
 */
export interface TuningSpec {
  readonly candidates: readonly Candidate[];
  readonly scheme: TuneScheme;
  readonly k: number;
}

/** Options of {@link evaluate} beyond the fit: nested tuning, and hooks for progress by fold. */
export interface EvaluateHooks {
  readonly onFold?: (fold: number, folds: number) => void;
  readonly tuning?: TuningSpec;
}

/** The candidate chosen for one outer fit. */
export interface TunedChoice {
  readonly fold: number;
  readonly candidate: string;
  readonly score: number;
}

/** Fits `spec` on `rows` of `ds`, after choosing the candidate by inner CV on those rows when `tuning` is set. */
async function fitTuned(
  ds: LabelledDataset,
  spec: FitSpec,
  rows: Int32Array | undefined,
  tuning: TuningSpec | undefined,
  fold: number,
  choices: TunedChoice[],
): Promise<FittedModel> {
  if (tuning === undefined) return fitModel(ds, spec, rows);
  const inner = rows === undefined ? ds : subsetDataset(ds, rows);
  const r = await tune(inner, tuning.candidates, tuning.scheme, { k: tuning.k, seed: spec.seed });
  choices.push({ fold, candidate: r.best.name, score: r.scores[0].mean });
  return fitModel(ds, { ...spec, model: r.best.model, params: r.best.params }, rows);
}

/**
 * Evaluates `spec` on `train` under `split`.
 * @throws IpqsecError IPQ-D012 for an invalid split, IPQ-D010 for a time split without time, and those of
 *   {@link fitModel}.
 */
export async function evaluate(train: LabelledDataset, split: SplitSpec, spec: FitSpec, hooks: EvaluateHooks = {}): Promise<EvaluationResult> {
  const { labelNames } = targetOf(train, spec.target);
  const base = {
    dataset: train.name,
    model: hooks.tuning === undefined ? spec.model : 'tuned',
    target: spec.target,
    split: describeSplit(split),
    labels: labelNames,
    params: spec.params ?? {},
    seed: spec.seed,
  };
  const skipped = train.skipped.count;
  const choices: TunedChoice[] = [];
  const tunedField = () => (hooks.tuning === undefined ? {} : { tuned: choices });
  if (split.kind === 'train-test') {
    hooks.onFold?.(0, 1);
    const fitted = await fitTuned(train, spec, undefined, hooks.tuning, 0, choices);
    const tests: TestResult[] = [];
    let rows = 0;
    let secs = 0;
    for (const t of split.tests) {
      const s = scoreRows(fitted, t.data, spec.target);
      rows += s.nRows;
      secs += s.predictSeconds;
      tests.push(resultOf(t.name, s, labelNames, true));
    }
    const { name: _n, roc: _r, ...first } = tests[0];
    return {
      ...base,
      ...first,
      fit_seconds: fitted.fitSeconds,
      predict_rows_per_second: rows / Math.max(secs, 1e-9),
      train_rows: fitted.nTrainRows,
      tests,
      feature_importance: importanceOf(fitted),
      smote_rows: fitted.smoteRows,
      skipped_rows: skipped + split.tests.reduce((a, t) => a + t.data.skipped.count, 0),
      ...tunedField(),
    };
  }
  const y = targetOf(train, spec.target).y;
  const splits = splitsOf(train, split, y);
  const folds: TestResult[] = [];
  const fits: number[] = [];
  let rows = 0;
  let secs = 0;
  let trainRows = 0;
  let smoteRows = 0;
  let importance: Float64Array | undefined;
  let names: readonly string[] = [];
  for (let f = 0; f < splits.length; f++) {
    hooks.onFold?.(f, splits.length);
    const fitted = await fitTuned(train, spec, splits[f].train, hooks.tuning, f, choices);
    const s = scoreRows(fitted, train, spec.target, splits[f].test);
    fits.push(fitted.fitSeconds);
    rows += s.nRows;
    secs += s.predictSeconds;
    trainRows += fitted.nTrainRows;
    smoteRows += fitted.smoteRows;
    folds.push(resultOf(`fold ${f + 1}`, s, labelNames, f === 0));
    const imp = fitted.model.featureImportance();
    if (imp !== undefined) {
      names = fitted.featureNames;
      if (importance === undefined || importance.length !== imp.length) importance = new Float64Array(imp.length);
      for (let i = 0; i < imp.length; i++) importance[i] += imp[i] / splits.length;
    }
  }
  const name = split.kind === 'cv' ? `${split.k}-fold CV` : 'holdout';
  const total = meanResult(name, folds, labelNames);
  const { name: _n, roc: _r, ...top } = total;
  return {
    ...base,
    ...top,
    fit_seconds: fits.reduce((a, b) => a + b, 0) / fits.length,
    predict_rows_per_second: rows / Math.max(secs, 1e-9),
    train_rows: Math.round(trainRows / splits.length),
    tests: [total],
    ...(split.kind === 'cv' ? { folds } : {}),
    feature_importance: importance === undefined ? undefined : names.map((n, i) => ({ name: n, value: importance[i] })).sort((a, b) => b.value - a.value),
    smote_rows: Math.round(smoteRows / splits.length),
    skipped_rows: skipped,
    ...tunedField(),
  };
}
