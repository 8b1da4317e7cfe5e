/**
 * Hyper-parameter selection by cross-validation on training data only.
 *
 * Two schemes:
 * - `stratified`: stratified k-fold CV on the training rows, scored by accuracy (the usual choice when test
 *   traffic comes from the same distribution, as in the UNSW-NB15 and TON_IoT protocols);
 * - `novel-class`: attack types are held out whole. The attack types of the training data (NSL-KDD attack
 *   names, or the multiclass labels elsewhere) are dealt to k folds, largest first, round-robin; normal rows are
 *   dealt to the same folds at random. Each fold's model is trained without that fold's attack types and tested
 *   on its normal rows and its unseen attacks, scored by balanced accuracy (mean of TPR and TNR, so that one
 *   large attack type cannot dominate). This estimates how a detector copes with attacks it has never seen, the
 *   situation NSL-KDD's test set was built to measure (17 of its attack types are absent from KDDTrain+;
 *   Tavallaee et al. 2009), without reading a single test row.
 */
import { createRng, shuffleInPlace } from '../core/rng.js';
import { stratifiedKFold, type Split } from '../data/splits.js';
import type { LabelledDataset } from '../data/table.js';
import type { ModelKind } from '../ml/classifier.js';
import { binaryMetrics } from '../ml/metrics.js';
import { fitModel, scoreRows, type FitSpec } from './fit.js';

/** One setting to try. */
export interface Candidate {
  readonly name: string;
  readonly model: ModelKind;
  readonly params: Readonly<Record<string, unknown>>;
}

export type TuneScheme = 'stratified' | 'novel-class';

/** CV score of one candidate. */
export interface CandidateScore {
  readonly candidate: Candidate;
  /** Mean score over folds (accuracy for `stratified`, balanced accuracy for `novel-class`). */
  readonly mean: number;
  readonly folds: readonly number[];
  /** Mean fit seconds per fold. */
  readonly fitSeconds: number;
}

/** Outcome of {@link tune}: every candidate's score, best first. */
export interface TuneResult {
  readonly scheme: TuneScheme;
  readonly k: number;
  readonly seed: number;
  readonly scores: readonly CandidateScore[];
  readonly best: Candidate;
}

/**
 * Folds that hold out whole attack types: see the module comment. Group of a row = `ds.rawLabel[i]` for attack
 * rows. With fewer attack types than `k`, `k` is reduced to their number.
 * @throws RangeError when k < 2 or the data set has fewer than two attack types.
 */
export function novelClassFolds(ds: LabelledDataset, k: number, seed: number): Split[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`novel-class CV needs k >= 2, got ${k}`);
  const counts = new Map<string, number>();
  for (let i = 0; i < ds.binary.length; i++) if (ds.binary[i] === 1) counts.set(ds.rawLabel[i], (counts.get(ds.rawLabel[i]) ?? 0) + 1);
  const types = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([t]) => t);
  if (types.length < 2) throw new RangeError(`novel-class CV needs at least two attack types, found ${types.length}`);
  const kk = Math.min(k, types.length);
  // Largest first, dealt in a serpentine so that the folds' attack volumes stay comparable.
  const foldOf = new Map<string, number>();
  types.forEach((t, i) => {
    const round = Math.floor(i / kk);
    const pos = i % kk;
    foldOf.set(t, round % 2 === 0 ? pos : kk - 1 - pos);
  });
  const rng = createRng(seed);
  const normal: number[] = [];
  for (let i = 0; i < ds.binary.length; i++) if (ds.binary[i] === 0) normal.push(i);
  shuffleInPlace(normal, rng);
  const fold = new Int32Array(ds.binary.length);
  normal.forEach((row, j) => {
    fold[row] = j % kk;
  });
  for (let i = 0; i < ds.binary.length; i++) if (ds.binary[i] === 1) fold[i] = foldOf.get(ds.rawLabel[i]) as number;
  const splits: Split[] = [];
  for (let f = 0; f < kk; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < fold.length; i++) (fold[i] === f ? test : train).push(i);
    splits.push({ train: Int32Array.from(train), test: Int32Array.from(test) });
  }
  return splits;
}

/**
 * Scores each candidate by CV on `ds` (training data only) and returns them best first. The binary target is
 * used throughout. `best` is the cheapest candidate (mean fit seconds) among those whose mean score is within
 * `tolerance` (default 0.001) of the top score.
 */
export async function tune(
  ds: LabelledDataset,
  candidates: readonly Candidate[],
  scheme: TuneScheme,
  opts: { k?: number; seed?: number; tolerance?: number; onCandidate?: (name: string, i: number, n: number) => void } = {},
): Promise<TuneResult> {
  const k = opts.k ?? 5;
  const seed = opts.seed ?? 42;
  const splits = scheme === 'stratified' ? stratifiedKFold(ds.binary, k, seed) : novelClassFolds(ds, k, seed);
  const scores: CandidateScore[] = [];
  for (const [ci, c] of candidates.entries()) {
    opts.onCandidate?.(c.name, ci, candidates.length);
    const spec: FitSpec = { model: c.model, target: 'binary', params: c.params, seed };
    const folds: number[] = [];
    let fit = 0;
    for (const s of splits) {
      const fitted = await fitModel(ds, spec, s.train);
      fit += fitted.fitSeconds;
      const r = scoreRows(fitted, ds, 'binary', s.test);
      const m = binaryMetrics(r.y, r.pred);
      folds.push(scheme === 'stratified' ? m.accuracy : (m.recall + (1 - m.fpr)) / 2);
    }
    scores.push({ candidate: c, mean: folds.reduce((a, b) => a + b, 0) / folds.length, folds, fitSeconds: fit / splits.length });
  }
  scores.sort((a, b) => b.mean - a.mean);
  // Scores within `tolerance` of the best cannot be told apart on this data: take the cheapest of them to fit
  // (the spirit of the one-standard-error rule, Breiman et al., "Classification and Regression Trees", 1984).
  const tolerance = opts.tolerance ?? 0.001;
  const top = scores.filter((s) => s.mean >= scores[0].mean - tolerance);
  const best = top.reduce((a, b) => (b.fitSeconds < a.fitSeconds ? b : a));
  return { scheme, k: splits.length, seed, scores, best: best.candidate };
}

/** Names of the built-in candidate grids. */
export type GridName = 'default' | 'gbdt';

/** A built-in candidate grid by name: `default` (see {@link defaultCandidates}) or `gbdt` (two capacities). */
export function candidateGrid(name: GridName): Candidate[] {
  if (name === 'gbdt') {
    return [
      { name: 'gbdt 200×31 leaves', model: 'gbdt', params: {} },
      { name: 'gbdt 300×63 leaves', model: 'gbdt', params: { maxIter: 300, maxLeafNodes: 63 } },
    ];
  }
  return defaultCandidates();
}

/** The default candidate grid: the tree models at a few capacities, and the hybrid detector at three quantiles over two GBDT capacities. */
export function defaultCandidates(): Candidate[] {
  return [
    { name: 'gbdt 200×31 leaves', model: 'gbdt', params: {} },
    { name: 'gbdt 100×15 leaves', model: 'gbdt', params: { maxIter: 100, maxLeafNodes: 15 } },
    { name: 'gbdt 300×63 leaves lr 0.05', model: 'gbdt', params: { maxIter: 300, maxLeafNodes: 63, learningRate: 0.05 } },
    { name: 'forest 100', model: 'forest', params: {} },
    { name: 'hybrid q0.95', model: 'hybrid', params: { quantile: 0.95 } },
    { name: 'hybrid q0.98', model: 'hybrid', params: { quantile: 0.98 } },
    { name: 'hybrid q0.99', model: 'hybrid', params: { quantile: 0.99 } },
    { name: 'hybrid q0.98 gbdt 100×15', model: 'hybrid', params: { quantile: 0.98, 'gbdt.maxIter': 100, 'gbdt.maxLeafNodes': 15 } },
    { name: 'hybrid q0.99 gbdt 100×15', model: 'hybrid', params: { quantile: 0.99, 'gbdt.maxIter': 100, 'gbdt.maxLeafNodes': 15 } },
  ];
}
