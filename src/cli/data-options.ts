/**
 * Command-line options shared by `train`, `evaluate` and `predict`: which data set, how to read it, which
 * model and target, and their conversion into loader and fit options.
 */
import type { Command } from 'commander';
import { IpqsecError } from '../core/errors.js';
import { loadDataset, parseDatasetKind, type DatasetKind, type LoadDatasetOptions } from '../data/datasets.js';
import type { LabelledDataset } from '../data/table.js';
import { addTemporalFeatures } from '../data/temporal.js';
import type { ModelKind, ProgressFn } from '../ml/classifier.js';
import { parseModelKind } from '../ml/model-registry.js';
import type { FitSpec, Target } from '../pipeline/fit.js';
import type { LoaderRecord } from '../pipeline/train.js';

/** Raw option values as commander parses them. */
export interface DataOptionValues {
  dataset: string;
  labelColumn?: string;
  dropColumns?: string;
  categorical?: string;
  timeColumn?: string;
  skipBadRows?: boolean;
  temporal?: boolean;
}

export interface ModelOptionValues {
  model: string;
  target: string;
  smote?: boolean;
  classWeight?: string;
  seed: string;
  threads?: string;
  param?: string[];
}

/** Adds the data set options to a command. */
export function addDataOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--dataset <kind>', 'nsl-kdd | unsw-nb15 | ton-iot | csv')
    .option('--label-column <name>', 'label column of a generic CSV (--dataset csv)')
    .option('--drop-columns <a,b,...>', 'feature columns to leave out')
    .option('--categorical <a,b,...>', 'columns to treat as categorical (generic CSV)')
    .option('--time-column <name>', 'time column of a generic CSV (Unix seconds or ISO 8601)')
    .option('--skip-bad-rows', 'skip and count malformed rows instead of failing')
    .option('--temporal', 'add causal per-device window features (telemetry with a time column)');
}

/** Adds the model options to a command. */
export function addModelOptions(cmd: Command): Command {
  return cmd
    .option('--model <kind>', 'gbdt | forest | logistic | iforest | hybrid (gbdt + isolation forest on normal rows)', 'gbdt')
    .option('--target <target>', 'binary (normal vs attack) | multiclass (attack classes)', 'binary')
    .option('--smote', 'oversample minority classes with SMOTE on the training rows')
    .option('--class-weight <mode>', 'none | balanced', 'none')
    .option('--seed <n>', 'seed of every random choice', '42')
    .option('--threads <n>', 'worker threads for training (default: cores, at most 2)')
    .option('--param <key=value...>', 'model hyper-parameter, repeatable (e.g. --param maxIter=300)');
}

function list(s: string | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

function intOption(name: string, s: string, min: number): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < min) throw new IpqsecError('IPQ-C001', `--${name} must be an integer >= ${min}, got "${s}"`);
  return n;
}

/** Parses `--param key=value` pairs: numbers, booleans and strings. */
export function parseParams(pairs: readonly string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new IpqsecError('IPQ-C001', `--param needs key=value, got "${p}"`);
    const key = p.slice(0, eq);
    const raw = p.slice(eq + 1);
    const num = Number(raw);
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(num) ? num : raw;
  }
  return out;
}

/** Loader options from the command line. */
export function loaderOptions(v: DataOptionValues, onProgress?: (read: number, total: number) => void): { kind: DatasetKind; opts: LoadDatasetOptions } {
  const kind = parseDatasetKind(v.dataset);
  const opts: LoadDatasetOptions = {
    dropColumns: list(v.dropColumns),
    skipBadRows: v.skipBadRows === true,
    ...(v.labelColumn !== undefined ? { labelColumn: v.labelColumn } : {}),
    ...(v.categorical !== undefined ? { categorical: list(v.categorical) } : {}),
    ...(v.timeColumn !== undefined ? { timeColumn: v.timeColumn } : {}),
    ...(onProgress ? { onProgress } : {}),
  };
  return { kind, opts };
}

/** What `train` stores so `predict` reads new files the same way. */
export function loaderRecord(v: DataOptionValues): LoaderRecord {
  const { kind, opts } = loaderOptions(v);
  const { onProgress: _p, ...rest } = opts as LoadDatasetOptions & { onProgress?: unknown };
  return { kind, options: JSON.parse(JSON.stringify(rest)) as Record<string, unknown>, temporal: v.temporal === true };
}

/** Adds the causal window features to a data set (the `--temporal` flag). */
export function withTemporal(ds: LabelledDataset): LabelledDataset {
  return { ...ds, features: addTemporalFeatures(ds.features, { time: ds.time }) };
}

/**
 * Loads a data set file the way the options say, temporal features included.
 * @throws IpqsecError from the loaders (file, line and column of a malformed row).
 */
export async function loadFromOptions(v: DataOptionValues, file: string, onProgress?: (read: number, total: number) => void): Promise<LabelledDataset> {
  const { kind, opts } = loaderOptions(v, onProgress);
  const ds = await loadDataset(kind, file, opts);
  return v.temporal === true ? withTemporal(ds) : ds;
}

/** The fit specification from the command line. */
export function fitSpecOf(v: ModelOptionValues, onProgress?: ProgressFn): FitSpec {
  const model: ModelKind = parseModelKind(v.model);
  if (v.target !== 'binary' && v.target !== 'multiclass') {
    throw new IpqsecError('IPQ-C001', `--target must be binary or multiclass, got "${v.target}"`);
  }
  const target: Target = v.target;
  const cw = v.classWeight ?? 'none';
  if (cw !== 'none' && cw !== 'balanced') throw new IpqsecError('IPQ-C001', `--class-weight must be none or balanced, got "${cw}"`);
  return {
    model,
    target,
    params: parseParams(v.param),
    smote: v.smote === true,
    classWeight: cw,
    seed: intOption('seed', v.seed, 0),
    ...(v.threads !== undefined ? { threads: intOption('threads', v.threads, 1) } : {}),
    ...(onProgress ? { onProgress } : {}),
  };
}
