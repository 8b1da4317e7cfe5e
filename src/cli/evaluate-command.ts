/**
 * `ipqsec evaluate`: train on one part of the data, test on the other, print the metrics.
 */
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command } from 'commander';
import { IpqsecError } from '../core/errors.js';
import type { LabelledDataset } from '../data/table.js';
import { evaluate, type EvaluationResult, type SplitSpec, type TuningSpec } from '../pipeline/evaluate.js';
import { candidateGrid } from '../pipeline/tune.js';
import { renderEvaluationReport } from '../report/html-report.js';
import { addDataOptions, addModelOptions, fitSpecOf, loadFromOptions, type DataOptionValues, type ModelOptionValues } from './data-options.js';
import { evaluationText } from './format.js';
import { createProgress } from './progress.js';

interface EvaluateValues extends DataOptionValues, ModelOptionValues {
  train?: string;
  test?: string[];
  data?: string;
  cv?: string;
  split?: string;
  splitBy?: string;
  json?: boolean;
  report?: string;
  tune?: boolean;
  tuneScheme: string;
  tuneCv: string;
  tuneGrid: string;
}

/** The nested-tuning specification the options ask for, if any. */
function tuningOf(v: EvaluateValues): TuningSpec | undefined {
  if (v.tune !== true) return undefined;
  if (v.tuneScheme !== 'stratified' && v.tuneScheme !== 'novel-class') {
    throw new IpqsecError('IPQ-C001', `--tune-scheme must be stratified or novel-class, got "${v.tuneScheme}"`);
  }
  if (v.tuneGrid !== 'default' && v.tuneGrid !== 'gbdt') throw new IpqsecError('IPQ-C001', `--tune-grid must be default or gbdt, got "${v.tuneGrid}"`);
  const k = Number(v.tuneCv);
  if (!Number.isInteger(k) || k < 2) throw new IpqsecError('IPQ-D012', `--tune-cv must be an integer >= 2, got "${v.tuneCv}"`);
  return { candidates: candidateGrid(v.tuneGrid), scheme: v.tuneScheme, k };
}

/** The split the options ask for. */
function splitOf(v: EvaluateValues, seed: number): { kind: 'train-test' } | Exclude<SplitSpec, { kind: 'train-test' }> {
  const modes = [v.train !== undefined, v.data !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new IpqsecError('IPQ-C001', 'give either --train FILE --test FILE, or --data FILE with --cv K or --split F');
  if (v.train !== undefined) {
    if (v.test === undefined || v.test.length === 0) throw new IpqsecError('IPQ-C001', '--train needs at least one --test FILE');
    if (v.cv !== undefined || v.split !== undefined) throw new IpqsecError('IPQ-C001', '--cv and --split go with --data, not --train');
    return { kind: 'train-test' };
  }
  if ((v.cv === undefined) === (v.split === undefined)) throw new IpqsecError('IPQ-C001', '--data needs exactly one of --cv K or --split F');
  if (v.cv !== undefined) {
    const k = Number(v.cv);
    if (!Number.isInteger(k) || k < 2) throw new IpqsecError('IPQ-D012', `--cv must be an integer >= 2, got "${v.cv}"`);
    if (v.splitBy === 'time') throw new IpqsecError('IPQ-C001', '--split-by time goes with --split F, not --cv');
    return { kind: 'cv', k, seed };
  }
  const f = Number(v.split);
  if (!(f > 0 && f < 1)) throw new IpqsecError('IPQ-D012', `--split must be a fraction between 0 and 1, got "${v.split}"`);
  const by = v.splitBy ?? 'stratified';
  if (by === 'time') return { kind: 'time', fraction: f };
  if (by !== 'stratified') throw new IpqsecError('IPQ-C001', `--split-by must be stratified or time, got "${by}"`);
  return { kind: 'holdout', fraction: f, seed };
}

/** Renders the HTML report of an evaluation. */
export function reportOf(r: EvaluationResult): string {
  return renderEvaluationReport({
    title: `${r.model} on ${r.dataset}`,
    dataset: r.dataset,
    model: `${r.model} (${r.target} target)`,
    split: r.split,
    metrics: {
      accuracy: r.accuracy,
      precision: r.precision,
      recall: r.recall,
      F1: r.f1,
      FPR: r.fpr,
      'ROC-AUC': r.roc_auc,
      'fit seconds': r.fit_seconds,
      'predict rows/s': Math.round(r.predict_rows_per_second),
    },
    roc: r.tests.flatMap((t, i) => {
      const curve = t.roc ?? (i === 0 && r.folds?.[0]?.roc ? r.folds[0].roc : undefined);
      return curve ? [{ label: t.name, fpr: curve.fpr, tpr: curve.tpr, auc: t.attack_roc_auc ?? t.roc_auc }] : [];
    }),
    confusion: { labels: r.labels, matrix: r.tests[0].confusion },
    ...(r.tests[0].per_class ? { perClass: r.tests[0].per_class } : {}),
    ...(r.feature_importance ? { featureImportance: r.feature_importance } : {}),
    notes: [
      `Seed ${r.seed}. Preprocessing fitted on training rows only; hyper-parameters ${Object.keys(r.params).length > 0 ? JSON.stringify(r.params) : 'at their defaults'}, never tuned on a test set.`,
      ...(r.folds ? ['Cross-validation: metrics are means over folds, the confusion matrix is summed over folds, the ROC curve is fold 1.'] : []),
      ...(r.skipped_rows > 0 ? [`${r.skipped_rows} malformed rows were skipped (--skip-bad-rows).`] : []),
    ],
  });
}

/** Builds the `evaluate` command. */
export function evaluateCommand(): Command {
  const cmd = new Command('evaluate').description('evaluate a model on an official split, k-fold CV or a holdout');
  addDataOptions(cmd);
  addModelOptions(cmd);
  cmd
    .option('--train <file>', 'training file (official split)')
    .option('--test <file...>', 'test file(s), with --train')
    .option('--data <file>', 'one file to split (with --cv or --split)')
    .option('--cv <k>', 'stratified k-fold cross-validation')
    .option('--split <fraction>', 'training fraction of a holdout split, e.g. 0.8')
    .option('--split-by <how>', 'stratified | time (time-ordered holdout)', 'stratified')
    .option('--json', 'print exactly one JSON object')
    .option('--report <file.html>', 'write a self-contained HTML report')
    .option('--tune', 'choose the model by CV on each training part (nested; replaces --model and --param)')
    .option('--tune-scheme <scheme>', 'stratified | novel-class (attack types held out whole)', 'stratified')
    .option('--tune-cv <k>', 'inner folds', '3')
    .option('--tune-grid <grid>', 'default (gbdt, forest, hybrid settings) | gbdt (two capacities)', 'default')
    .action(async (v: EvaluateValues) => {
      const progress = createProgress(process.stderr, { enabled: v.json !== true });
      const spec = fitSpecOf(v, (stage, done, total) => progress.update(stage, done, total));
      const split = splitOf(v, spec.seed);
      const tuning = tuningOf(v);
      const load = (file: string) => loadFromOptions(v, file, (read, total) => progress.update(`loading ${basename(file)}`, read, total));
      let result: EvaluationResult;
      if (split.kind === 'train-test') {
        const train = await load(v.train as string);
        const tests: { name: string; data: LabelledDataset }[] = [];
        for (const f of v.test ?? []) tests.push({ name: basename(f).replace(/\.(txt|csv)$/i, ''), data: await load(f) });
        result = await evaluate(train, { kind: 'train-test', tests }, spec, { tuning });
      } else {
        const data = await load(v.data as string);
        result = await evaluate(data, split, spec, { onFold: (f, n) => progress.update('folds', f, n), tuning });
      }
      progress.done();
      if (v.report !== undefined) await writeFile(v.report, reportOf(result));
      if (v.json === true) {
        const { tests, folds, ...rest } = result;
        process.stdout.write(`${JSON.stringify({ ...rest, tests: tests.map(({ roc: _r, ...t }) => t), ...(folds ? { folds: folds.map(({ roc: _r, ...t }) => t) } : {}) })}\n`);
      } else {
        process.stdout.write(`${evaluationText(result)}\n`);
        if (v.report !== undefined) process.stdout.write(`report written to ${v.report}\n`);
      }
    });
  return cmd;
}
