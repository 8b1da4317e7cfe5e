/**
 * The standard evaluations IPqSEC reports (README "Evaluation protocol"), shared by `ipqsec start` and
 * `npm run bench:ml` so that both print figures from the same splits and settings.
 *
 * Hyper-parameters here were fixed before looking at any test set, or chosen by cross-validation on the
 * training data only (docs/benchmarks.md says which and how).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_SOURCES, loadDataset, type DatasetKind, type LoadDatasetOptions } from '../data/datasets.js';
import type { LabelledDataset } from '../data/table.js';
import { addTemporalFeatures } from '../data/temporal.js';
import type { ModelKind } from '../ml/classifier.js';
import { evaluate, type EvaluationResult, type SplitSpec, type TuningSpec } from './evaluate.js';
import type { FitSpec } from './fit.js';
import { candidateGrid } from './tune.js';

/** One data set and split of the standard protocol. */
export interface StandardCase {
  /** Row label in tables, e.g. `nsl-kdd KDDTest+`. */
  readonly id: string;
  readonly kind: Exclude<DatasetKind, 'csv'>;
  /** Training file (or the one file that is split), relative to the data set folder. */
  readonly file: string;
  /** Test files for an official split. */
  readonly tests?: readonly string[];
  readonly split: Exclude<SplitSpec, { kind: 'train-test' }> | { readonly kind: 'train-test' };
  readonly load?: LoadDatasetOptions;
  readonly temporal?: boolean;
}

/** Leaky UNSW-NB15 features (Moustafa & Slay; shared/data README): reported with and without. */
export const UNSW_LEAKY = ['sttl', 'dttl', 'ct_state_ttl'] as const;

/** The standard cases whose files exist under `dir`. TON_IoT: every `Train_Test_IoT_*.csv` found. */
export function standardCases(dir: string): { cases: StandardCase[]; missing: Exclude<DatasetKind, 'csv'>[] } {
  const cases: StandardCase[] = [];
  const missing: Exclude<DatasetKind, 'csv'>[] = [];
  const has = (kind: Exclude<DatasetKind, 'csv'>, f: string) => existsSync(join(dir, DATASET_SOURCES[kind].folder, f));
  if (has('nsl-kdd', 'KDDTrain+.txt') && has('nsl-kdd', 'KDDTest+.txt')) {
    cases.push({
      id: 'nsl-kdd',
      kind: 'nsl-kdd',
      file: 'KDDTrain+.txt',
      tests: has('nsl-kdd', 'KDDTest-21.txt') ? ['KDDTest+.txt', 'KDDTest-21.txt'] : ['KDDTest+.txt'],
      split: { kind: 'train-test' },
    });
  } else missing.push('nsl-kdd');
  if (has('unsw-nb15', 'UNSW_NB15_testing-set.csv')) {
    const cv = { kind: 'cv', k: 5, seed: 42 } as const;
    cases.push({ id: 'unsw-nb15 5-fold CV', kind: 'unsw-nb15', file: 'UNSW_NB15_testing-set.csv', split: cv });
    cases.push({
      id: 'unsw-nb15 5-fold CV no-ttl',
      kind: 'unsw-nb15',
      file: 'UNSW_NB15_testing-set.csv',
      split: cv,
      load: { dropColumns: [...UNSW_LEAKY] },
    });
  } else missing.push('unsw-nb15');
  const tonDir = join(dir, DATASET_SOURCES['ton-iot'].folder);
  const tonFiles = existsSync(tonDir) ? readdirSync(tonDir).filter((f) => /^Train_Test_IoT_.+\.csv$/i.test(f)).sort() : [];
  if (tonFiles.length === 0) missing.push('ton-iot');
  for (const f of tonFiles) {
    const device = f.replace(/^Train_Test_IoT_/i, '').replace(/\.csv$/i, '');
    const split = { kind: 'holdout', fraction: 0.8, seed: 42 } as const;
    cases.push({ id: `ton-iot ${device} 80/20`, kind: 'ton-iot', file: f, split });
    cases.push({ id: `ton-iot ${device} 80/20 temporal`, kind: 'ton-iot', file: f, split, temporal: true });
  }
  return { cases, missing };
}

/** The default model settings of the standard protocol, per model kind. */
export function standardFitSpec(model: ModelKind, seed = 42): FitSpec {
  return { model, target: 'binary', seed, params: {} };
}

/** Our best setting for a case, and how it was chosen (docs/benchmarks.md). */
export interface BestSetting {
  readonly label: string;
  readonly spec: FitSpec;
  readonly tuning?: TuningSpec;
  /** How the setting was chosen, for tables and notes. */
  readonly chosenBy: string;
}

/**
 * The best setting per data set, each chosen on training data only:
 * - NSL-KDD: the hybrid detector at q = 0.99 over a GBDT of 100 trees × 15 leaves, the choice of
 *   `ipqsec tune --scheme novel-class` on KDDTrain+ (5 folds, seed 42; attack types held out whole) over GBDT,
 *   random forest and other hybrid settings (docs/benchmarks.md has the table);
 * - UNSW-NB15: GBDT with nested tuning (each outer fold's capacity chosen by 3-fold CV on its training rows);
 *   `quick` skips the nested search and uses the default capacity;
 * - TON_IoT: GBDT at its defaults.
 */
export function bestSetting(c: StandardCase, opts: { quick?: boolean; seed?: number } = {}): BestSetting {
  const seed = opts.seed ?? 42;
  if (c.kind === 'nsl-kdd') {
    return {
      label: 'hybrid',
      spec: { model: 'hybrid', target: 'binary', seed, params: { quantile: 0.99, 'gbdt.maxIter': 100, 'gbdt.maxLeafNodes': 15 } },
      chosenBy: 'novel-class CV on KDDTrain+',
    };
  }
  if (c.kind === 'unsw-nb15' && opts.quick !== true) {
    return {
      label: 'gbdt nested-CV',
      spec: standardFitSpec('gbdt', seed),
      tuning: { candidates: candidateGrid('gbdt'), scheme: 'stratified', k: 3 },
      chosenBy: 'nested 3-fold CV on each training part',
    };
  }
  return { label: 'gbdt', spec: standardFitSpec('gbdt', seed), chosenBy: 'defaults' };
}

/** Loads a case's data (temporal features added when the case asks). */
export async function loadCase(c: StandardCase, dir: string, file: string = c.file): Promise<LabelledDataset> {
  const ds = await loadDataset(c.kind, join(dir, DATASET_SOURCES[c.kind].folder, file), c.load ?? {});
  if (c.temporal !== true) return ds;
  return { ...ds, name: `${ds.name} temporal`, features: addTemporalFeatures(ds.features, { time: ds.time }) };
}

/** Runs one standard case with `spec` (and nested `tuning`). Data sets may be passed in to avoid reloading. */
export async function runCase(
  c: StandardCase,
  dir: string,
  spec: FitSpec,
  loaded?: { train: LabelledDataset; tests?: LabelledDataset[] },
  tuning?: TuningSpec,
): Promise<EvaluationResult> {
  const train = loaded?.train ?? (await loadCase(c, dir));
  if (c.split.kind === 'train-test') {
    const tests = loaded?.tests ?? (await Promise.all((c.tests ?? []).map((f) => loadCase(c, dir, f))));
    return evaluate(
      train,
      { kind: 'train-test', tests: tests.map((data, i) => ({ name: (c.tests ?? [])[i].replace(/\.txt$|\.csv$/i, ''), data })) },
      spec,
      { tuning },
    );
  }
  return evaluate(train, c.split, spec, { tuning });
}
