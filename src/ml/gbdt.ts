/**
 * Histogram-based gradient-boosted decision trees (binary log-loss, multiclass softmax), in the manner of
 * LightGBM (Ke et al., NeurIPS 2017) and scikit-learn's `HistGradientBoostingClassifier`.
 *
 * Algorithm: Friedman, "Greedy function approximation: a gradient boosting machine", Ann. Stat. 2001, with
 * second-order leaf values −Σg/(Σh+λ) and split gain G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ) (Chen and
 * Guestrin, KDD 2016, eq. 7; the constant ½ is dropped as in scikit-learn). Trees grow leaf-wise (best-first)
 * up to `maxLeafNodes` leaves; histograms of the smaller child are built and the sibling's is obtained by
 * subtraction; each split learns where missing values go. Multiclass fits one tree per class per round on the
 * softmax gradients.
 */
import { IpqsecError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { takeRows } from '../core/matrix.js';
import { createRng, shuffleInPlace } from '../core/rng.js';
import type { Rng } from '../core/rng.js';
import { binColumns, binThreshold, BIN_SLOTS, fitBinMapper } from './binning.js';
import type { BinMapper } from './binning.js';
import { checkFeatures } from './classifier.js';
import type { Classifier, SerializedModel } from './classifier.js';
import {
  buildGradHist,
  buildSparseRows,
  GRAD_STRIDE,
  gradHistLength,
  newCandidate,
  nodeScore,
  partitionRows,
  scanGradFeature,
  splitLut,
  subtractHist,
} from './histogram.js';
import type { SparseRows, SplitCandidate, SplitConstraints } from './histogram.js';
import type { TrainOptions } from './train-options.js';
import { accumulateTrees, EnsembleBuilder, ensembleArrays, ensembleFromArrays } from './tree.js';
import type { TreeEnsemble } from './tree.js';

/** Hyper-parameters of {@link trainGbdt} (names follow scikit-learn's HistGradientBoostingClassifier). */
export interface GbdtParams {
  /** Boosting rounds (one tree per class per round for multiclass). Default 200. */
  maxIter: number;
  /** Shrinkage of every leaf value, in (0, 1]. Default 0.1. */
  learningRate: number;
  /** Leaves per tree, ≥ 2. Default 31. */
  maxLeafNodes: number;
  /** Depth limit of a tree; 0 = unlimited (leaf count still limits it). Default 0. */
  maxDepth: number;
  /** Minimum training rows per leaf. Default 20. */
  minSamplesLeaf: number;
  /** Minimum Σ hessian per leaf. Default 1e-3. */
  minChildWeight: number;
  /** L2 regularisation λ of the leaf values. Default 0. */
  l2Regularization: number;
  /** Value bins per feature, 2..255. Default 255. */
  maxBins: number;
  /** Rows sampled for the bin quantiles. Default 200,000. */
  binSubsample: number;
  /**
   * `true`: stop when the validation log-loss stops improving (on `opts.validation`, else on a seeded
   * stratified holdout of `validationFraction` of the training rows); `false`: never; `'auto'` (default): only
   * when `opts.validation` is given.
   */
  earlyStopping: boolean | 'auto';
  /** Holdout fraction for internal early stopping, in (0, 1). Default 0.1. */
  validationFraction: number;
  /** Rounds without an improvement larger than `tol` before stopping. Default 10. */
  nIterNoChange: number;
  /** Minimum log-loss improvement that counts. Default 1e-7. */
  tol: number;
  /** Fraction of rows sampled (without replacement) per round, in (0, 1]. Default 1. */
  subsample: number;
  /** Fraction of features sampled per tree, in (0, 1]. Default 1. */
  colsampleByTree: number;
  /** Seed of every random choice (bin subsample, holdout, row and column sampling). Default 0. */
  seed: number;
}

/** Defaults of {@link GbdtParams}. */
export const GBDT_DEFAULTS: Readonly<GbdtParams> = {
  maxIter: 200,
  learningRate: 0.1,
  maxLeafNodes: 31,
  maxDepth: 0,
  minSamplesLeaf: 20,
  minChildWeight: 1e-3,
  l2Regularization: 0,
  maxBins: 255,
  binSubsample: 200_000,
  earlyStopping: 'auto',
  validationFraction: 0.1,
  nIterNoChange: 10,
  tol: 1e-7,
  subsample: 1,
  colsampleByTree: 1,
  seed: 0,
};

/** A trained boosted-trees classifier; `nRounds`, `validationLoss` describe the fit. */
export interface GbdtClassifier extends Classifier {
  readonly kind: 'gbdt';
  /** Boosting rounds kept (the best round when early stopping ran). */
  readonly nRounds: number;
  /** Validation log-loss after 0, 1, … rounds fitted (empty without early stopping). */
  readonly validationLoss: Float64Array;
  /** Normalised total split gain per feature (sums to 1 when any split was made). */
  featureImportance(): Float64Array;
  /** The trees (nRounds · (nClasses > 2 ? nClasses : 1) of them). */
  readonly trees: TreeEnsemble;
}

function invalid(name: string, value: unknown, range: string): never {
  throw new IpqsecError('IPQ-M006', `gbdt ${name} = ${String(value)}, expected ${range}`, { details: { param: name } });
}

function resolveParams(p: Partial<GbdtParams> | undefined): GbdtParams {
  const q: GbdtParams = { ...GBDT_DEFAULTS, ...p };
  const int = (name: keyof GbdtParams, lo: number) => {
    const v = q[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo) invalid(name, v, `an integer ≥ ${lo}`);
  };
  int('maxIter', 1);
  int('maxLeafNodes', 2);
  int('maxDepth', 0);
  int('minSamplesLeaf', 1);
  int('nIterNoChange', 1);
  int('binSubsample', 1000);
  int('seed', Number.MIN_SAFE_INTEGER);
  if (!Number.isInteger(q.maxBins) || q.maxBins < 2 || q.maxBins > 255) invalid('maxBins', q.maxBins, 'an integer in [2, 255]');
  const frac = (name: keyof GbdtParams, v: number, open: boolean) => {
    if (!(v > 0 && (open ? v < 1 : v <= 1))) invalid(name, v, open ? 'a number in (0, 1)' : 'a number in (0, 1]');
  };
  frac('learningRate', q.learningRate, false);
  frac('subsample', q.subsample, false);
  frac('colsampleByTree', q.colsampleByTree, false);
  frac('validationFraction', q.validationFraction, true);
  if (!(q.minChildWeight >= 0)) invalid('minChildWeight', q.minChildWeight, 'a number ≥ 0');
  if (!(q.l2Regularization >= 0)) invalid('l2Regularization', q.l2Regularization, 'a number ≥ 0');
  if (!(q.tol >= 0)) invalid('tol', q.tol, 'a number ≥ 0');
  if (q.earlyStopping !== 'auto' && typeof q.earlyStopping !== 'boolean') invalid('earlyStopping', q.earlyStopping, "true, false or 'auto'");
  return q;
}

/**
 * Checks the shared inputs of a tree trainer.
 * @throws RangeError on shape mismatches, labels outside 0..nClasses−1, or negative / non-finite weights.
 */
export function checkTrainingInputs(X: Matrix, y: Int32Array, nClasses: number, w: Float64Array | undefined, what: string): void {
  if (!Number.isInteger(nClasses) || nClasses < 2) throw new RangeError(`${what}: nClasses must be an integer ≥ 2, got ${nClasses}`);
  if (y.length !== X.nRows) throw new RangeError(`${what}: ${y.length} labels for ${X.nRows} rows`);
  if (X.nRows === 0) throw new RangeError(`${what}: no training rows`);
  for (let i = 0; i < y.length; i++) {
    if (!(y[i] >= 0 && y[i] < nClasses)) throw new RangeError(`${what}: label ${y[i]} at row ${i} outside 0..${nClasses - 1}`);
  }
  if (w !== undefined) {
    if (w.length !== X.nRows) throw new RangeError(`${what}: ${w.length} sample weights for ${X.nRows} rows`);
    for (let i = 0; i < w.length; i++) if (!(w[i] >= 0 && w[i] < Infinity)) throw new RangeError(`${what}: sample weight ${w[i]} at row ${i}`);
  }
}

/** Seeded stratified holdout: returns [train indices, validation indices], both ascending. */
function stratifiedHoldout(y: Int32Array, nClasses: number, fraction: number, rng: Rng): [Int32Array, Int32Array] {
  const isVal = new Uint8Array(y.length);
  for (let k = 0; k < nClasses; k++) {
    const idx: number[] = [];
    for (let i = 0; i < y.length; i++) if (y[i] === k) idx.push(i);
    shuffleInPlace(idx, rng);
    const m = Math.round(idx.length * fraction);
    for (let j = 0; j < m; j++) isVal[idx[j]] = 1;
  }
  const tr: number[] = [];
  const va: number[] = [];
  for (let i = 0; i < y.length; i++) (isVal[i] === 1 ? va : tr).push(i);
  return [Int32Array.from(tr), Int32Array.from(va)];
}

/** Mean log-loss of raw scores `raw` (n × K; K = 1 means binary logit). */
function logLoss(raw: Float64Array, y: Int32Array, K: number): number {
  let s = 0;
  const n = y.length;
  if (K === 1) {
    for (let i = 0; i < n; i++) {
      const z = raw[i];
      // softplus(z) − y·z, computed without overflow.
      s += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - (y[i] === 1 ? z : 0);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const o = i * K;
      let m = -Infinity;
      for (let k = 0; k < K; k++) m = Math.max(m, raw[o + k]);
      let e = 0;
      for (let k = 0; k < K; k++) e += Math.exp(raw[o + k] - m);
      s += m + Math.log(e) - raw[o + y[i]];
    }
  }
  return s / n;
}

interface Leaf {
  start: number;
  end: number;
  depth: number;
  /** Internal node this leaf hangs from (−1 for the root) and on which side. */
  parent: number;
  isLeft: boolean;
  hist: Float64Array | null;
  readonly totals: Float64Array;
  readonly best: SplitCandidate;
}

/** Node totals `[ΣG, ΣH, count]` of `rows[start .. end)`, summed in row order as {@link buildGradHist} does. */
function gradTotals(totals: Float64Array, rows: Int32Array, start: number, end: number, gh: Float64Array): void {
  let G = 0;
  let H = 0;
  for (let k = start; k < end; k++) {
    const i = rows[k];
    G += gh[2 * i];
    H += gh[2 * i + 1];
  }
  totals[0] = G;
  totals[1] = H;
  totals[2] = end - start;
}

/** Per-training state of the tree grower: binned data, row buffer, histogram pool. */
class Grower {
  readonly rows: Int32Array;
  private readonly tmp: Int32Array;
  private readonly lut = new Uint8Array(BIN_SLOTS);
  private readonly pool: Float64Array[] = [];
  private readonly histLen: number;
  readonly gains: Float64Array;
  private readonly cons: SplitConstraints;

  constructor(
    private readonly bins: Uint8Array,
    private readonly nRows: number,
    private readonly sp: SparseRows,
    private readonly mapper: BinMapper,
    private readonly p: GbdtParams,
  ) {
    const F = mapper.nFeatures;
    this.rows = new Int32Array(nRows);
    this.tmp = new Int32Array(nRows);
    this.histLen = gradHistLength(sp);
    this.gains = new Float64Array(F);
    this.cons = {
      criterion: 'gradient',
      stride: GRAD_STRIDE,
      lambda: p.l2Regularization,
      minSamplesLeaf: p.minSamplesLeaf,
      minChildWeight: p.minChildWeight,
    };
  }

  private takeHist(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.histLen);
  }

  private release(l: Leaf): void {
    if (l.hist !== null) this.pool.push(l.hist);
    l.hist = null;
  }

  private newLeaf(start: number, end: number, depth: number, parent: number, isLeft: boolean): Leaf {
    return { start, end, depth, parent, isLeft, hist: null, totals: new Float64Array(GRAD_STRIDE), best: newCandidate(GRAD_STRIDE) };
  }

  /** Whether a leaf may be split at all (rows, depth, Σ hessian); needs its totals. */
  private canSplit(l: Leaf): boolean {
    const p = this.p;
    return l.end - l.start >= 2 * p.minSamplesLeaf && (p.maxDepth === 0 || l.depth < p.maxDepth) && l.totals[1] >= 2 * p.minChildWeight;
  }

  /** Finds the leaf's best split (or marks it unsplittable and frees its histogram). */
  private evaluate(l: Leaf, mask: Uint8Array): void {
    const best = l.best;
    best.gain = Number.NEGATIVE_INFINITY;
    if (this.canSplit(l) && l.hist !== null) {
      const parentScore = nodeScore(l.totals, 0, this.cons);
      const { nBins } = this.mapper;
      const active = this.sp.active;
      for (let f = 0; f < nBins.length; f++) {
        if (active[f] === 0 || mask[f] === 0) continue;
        scanGradFeature(l.hist, this.sp.slotStart[f] * GRAD_STRIDE, nBins[f], nBins[f], f, l.totals, parentScore, this.cons, best);
      }
    }
    if (!(best.gain > 1e-12)) {
      best.gain = Number.NEGATIVE_INFINITY;
      this.release(l);
    }
  }

  /**
   * Grows one tree on rows `rows[0 .. nUsed)` with interleaved gradients/hessians `gh` (`gh[2i]`, `gh[2i+1]`), adds it to `b`,
   * and adds its leaf values to `raw[i · K + col]` for the rows used. Returns nothing; gains go to `gains`.
   */
  grow(nUsed: number, gh: Float64Array, mask: Uint8Array, b: EnsembleBuilder, raw: Float64Array, K: number, col: number): void {
    const p = this.p;
    const root = this.newLeaf(0, nUsed, 0, -1, false);
    root.hist = this.takeHist();
    buildGradHist(root.hist, root.totals, this.sp, this.rows, 0, nUsed, gh);
    this.evaluate(root, mask);
    const leaves: Leaf[] = [root];
    let rootNode = -1;
    while (leaves.length < p.maxLeafNodes) {
      let bi = -1;
      let bg = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < leaves.length; j++) {
        if (leaves[j].best.gain > bg) {
          bg = leaves[j].best.gain;
          bi = j;
        }
      }
      if (bi < 0) break;
      const l = leaves[bi];
      const s = l.best;
      const node = b.addNode(s.feature, binThreshold(this.mapper, s.feature, s.bin), s.missingLeft);
      if (l.parent < 0) rootNode = node;
      else b.setChild(l.parent, l.isLeft, node);
      this.gains[s.feature] += s.gain;
      const mid = this.partition(l.start, l.end, s.feature, s.bin, s.missingLeft);
      const L = this.newLeaf(l.start, mid, l.depth + 1, node, true);
      const R = this.newLeaf(mid, l.end, l.depth + 1, node, false);
      const [small, large] = mid - l.start <= l.end - mid ? [L, R] : [R, L];
      const ph = l.hist as Float64Array;
      // Children that can never be split (the tree's last split, or both too small) need only their totals,
      // not histograms: the same totals (same sums in the same order) and the same tree, less work.
      gradTotals(small.totals, this.rows, small.start, small.end, gh);
      for (let j = 0; j < GRAD_STRIDE; j++) large.totals[j] = l.totals[j] - small.totals[j];
      large.totals[2] = large.end - large.start;
      if (leaves.length + 1 < p.maxLeafNodes && (this.canSplit(small) || this.canSplit(large))) {
        small.hist = this.takeHist();
        buildGradHist(small.hist, small.totals, this.sp, this.rows, small.start, small.end, gh);
        subtractHist(ph, small.hist, this.histLen);
        large.hist = ph;
      } else this.pool.push(ph);
      l.hist = null;
      this.evaluate(L, mask);
      this.evaluate(R, mask);
      leaves[bi] = L;
      leaves.push(R);
    }
    const lr = p.learningRate;
    const rows = this.rows;
    for (const l of leaves) {
      this.release(l);
      const denom = l.totals[1] + p.l2Regularization;
      const v = denom > 0 ? (-lr * l.totals[0]) / denom : 0;
      const code = b.addLeaf(v);
      if (l.parent < 0) rootNode = code;
      else b.setChild(l.parent, l.isLeft, code);
      for (let k = l.start; k < l.end; k++) raw[rows[k] * K + col] += v;
    }
    b.finishTree(rootNode);
  }

  /** Stable in-place partition of rows[start .. end) by the split; returns the first right index. */
  private partition(start: number, end: number, f: number, t: number, missLeft: boolean): number {
    splitLut(this.lut, t, missLeft);
    return partitionRows(this.rows, this.tmp, start, end, this.bins, f * this.nRows, this.lut);
  }
}

/**
 * Trains a boosted-trees classifier.
 * @param X training rows (`NaN` = missing); y class indices 0..nClasses−1 (binary: 1 = attack).
 * @returns a {@link GbdtClassifier}. Deterministic for a given `params.seed`.
 * @throws IpqsecError IPQ-M006 for an out-of-range hyper-parameter; RangeError for inconsistent inputs.
 */
export async function trainGbdt(
  X: Matrix,
  y: Int32Array,
  nClasses: number,
  params?: Partial<GbdtParams>,
  opts: TrainOptions = {},
): Promise<GbdtClassifier> {
  const p = resolveParams(params);
  checkTrainingInputs(X, y, nClasses, opts.sampleWeight, 'trainGbdt');
  if (opts.validation !== undefined) checkTrainingInputs(opts.validation.X, opts.validation.y, nClasses, undefined, 'trainGbdt validation');
  if (opts.validation !== undefined && opts.validation.X.nCols !== X.nCols) throw new RangeError('trainGbdt: validation has a different feature count');
  const rng = createRng(p.seed);
  const early = p.earlyStopping === true || (p.earlyStopping === 'auto' && opts.validation !== undefined);
  let Xt = X;
  let yt = y;
  let wt = opts.sampleWeight;
  let val = early ? opts.validation : undefined;
  if (early && val === undefined) {
    const [tr, va] = stratifiedHoldout(y, nClasses, p.validationFraction, rng.fork());
    if (tr.length === 0 || va.length === 0) throw new RangeError('trainGbdt: too few rows for an early-stopping holdout');
    val = { X: takeRows(X, va), y: Int32Array.from(va, (i) => y[i]) };
    Xt = takeRows(X, tr);
    yt = Int32Array.from(tr, (i) => y[i]);
    wt = wt === undefined ? undefined : Float64Array.from(tr, (i) => (opts.sampleWeight as Float64Array)[i]);
  }
  const n = Xt.nRows;
  const F = Xt.nCols;
  const K = nClasses === 2 ? 1 : nClasses;
  const mapper = fitBinMapper(Xt, p.maxBins, p.binSubsample, p.seed);
  const bins = binColumns(Xt, mapper);
  const sp = buildSparseRows(bins, n, mapper.nBins);

  // Baseline raw score: log-odds (binary) or log-priors (softmax) of the weighted class frequencies.
  const prior = new Float64Array(nClasses);
  for (let i = 0; i < n; i++) prior[yt[i]] += wt === undefined ? 1 : wt[i];
  const tot = prior.reduce((a, b) => a + b, 0);
  if (!(tot > 0)) throw new RangeError('trainGbdt: sample weights sum to 0');
  const baseline = new Float64Array(K);
  const eps = 1e-15;
  if (K === 1) {
    const q = Math.min(1 - eps, Math.max(eps, prior[1] / tot));
    baseline[0] = Math.log(q / (1 - q));
  } else {
    for (let k = 0; k < K; k++) baseline[k] = Math.log(Math.max(eps, prior[k] / tot));
  }
  const raw = new Float64Array(n * K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) raw[i * K + k] = baseline[k];
  const gh = new Float64Array(2 * n * K);
  const prob = new Float64Array(K);

  let valRaw: Float64Array | undefined;
  const losses: number[] = [];
  if (val !== undefined) {
    valRaw = new Float64Array(val.X.nRows * K);
    for (let i = 0; i < val.X.nRows; i++) for (let k = 0; k < K; k++) valRaw[i * K + k] = baseline[k];
    losses.push(logLoss(valRaw, val.y, K));
  }
  let bestRound = 0;
  let bestLoss = losses.length > 0 ? losses[0] : Infinity;

  const builder = new EnsembleBuilder(1);
  const grower = new Grower(bins, n, sp, mapper, p);
  const mask = new Uint8Array(F).fill(1);
  const nActive = sp.active.reduce((a, b) => a + b, 0);
  const activeList = Int32Array.from({ length: F }, (_, f) => f).filter((f) => sp.active[f] === 1);
  const nUsed = p.subsample < 1 ? Math.max(1, Math.floor(p.subsample * n)) : n;
  const perm = p.subsample < 1 ? Int32Array.from({ length: n }, (_, i) => i) : undefined;
  const inSample = p.subsample < 1 ? new Uint8Array(n) : undefined;
  let rounds = 0;

  for (let it = 0; it < p.maxIter; it++) {
    // Gradients and hessians of the loss at the current raw scores (class-major, interleaved: gh[2(k·n + i)], gh[2(k·n + i) + 1]).
    if (K === 1 && wt === undefined) {
      // Binary, unweighted (the common case) in its own loop: the same expressions with w = 1 (x · 1 = x).
      for (let i = 0; i < n; i++) {
        const pr = 1 / (1 + Math.exp(-raw[i]));
        gh[2 * i] = pr - yt[i];
        gh[2 * i + 1] = Math.max(pr * (1 - pr), 1e-16);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const w = wt === undefined ? 1 : wt[i];
        if (K === 1) {
          const pr = 1 / (1 + Math.exp(-raw[i]));
          gh[2 * i] = (pr - yt[i]) * w;
          gh[2 * i + 1] = Math.max(pr * (1 - pr), 1e-16) * w;
        } else {
          const o = i * K;
          let m = -Infinity;
          for (let k = 0; k < K; k++) m = Math.max(m, raw[o + k]);
          let s = 0;
          for (let k = 0; k < K; k++) s += prob[k] = Math.exp(raw[o + k] - m);
          for (let k = 0; k < K; k++) {
            const pk = prob[k] / s;
            gh[2 * (k * n + i)] = (pk - (yt[i] === k ? 1 : 0)) * w;
            gh[2 * (k * n + i) + 1] = Math.max(pk * (1 - pk), 1e-16) * w;
          }
        }
      }
    }
    if (perm !== undefined && inSample !== undefined) {
      for (let j = 0; j < nUsed; j++) {
        const r = j + rng.int(n - j);
        const t = perm[j];
        perm[j] = perm[r];
        perm[r] = t;
      }
      grower.rows.set(perm.subarray(0, nUsed));
      grower.rows.subarray(0, nUsed).sort();
      inSample.fill(0);
      for (let j = 0; j < nUsed; j++) inSample[perm[j]] = 1;
    }
    if (p.colsampleByTree < 1) {
      const m = Math.max(1, Math.round(p.colsampleByTree * nActive));
      const order = shuffleInPlace(activeList.slice(), rng);
      mask.fill(0);
      for (let j = 0; j < m; j++) mask[order[j]] = 1;
    }
    for (let k = 0; k < K; k++) {
      if (perm === undefined) for (let i = 0; i < n; i++) grower.rows[i] = i;
      else if (k > 0) {
        grower.rows.set(perm.subarray(0, nUsed));
        grower.rows.subarray(0, nUsed).sort();
      }
      grower.grow(nUsed, K === 1 ? gh : gh.subarray(2 * k * n, 2 * (k + 1) * n), mask, builder, raw, K, k);
    }
    rounds++;
    if (inSample !== undefined) {
      // Rows left out of this round's sample get the new trees' values by prediction.
      const ens = builder.build();
      const t0 = ens.nTrees - K;
      for (let i = 0; i < n; i++) {
        if (inSample[i] === 1) continue;
        const one = { data: Xt.data.subarray(i * F, (i + 1) * F), nRows: 1, nCols: F };
        accumulateTrees(ens, one, raw.subarray(i * K, (i + 1) * K), K, t0, ens.nTrees);
      }
    }
    if (val !== undefined && valRaw !== undefined) {
      const ens = builder.build();
      accumulateTrees(ens, val.X, valRaw, K, ens.nTrees - K, ens.nTrees);
      const loss = logLoss(valRaw, val.y, K);
      losses.push(loss);
      if (loss < bestLoss - p.tol) {
        bestLoss = loss;
        bestRound = rounds;
      } else if (rounds - bestRound >= p.nIterNoChange) {
        break;
      }
    }
    opts.onProgress?.('gbdt', it + 1, p.maxIter);
  }
  if (val !== undefined) {
    builder.truncate(bestRound * K);
    rounds = bestRound;
  }
  return new GbdtModel(builder.build(), F, nClasses, baseline, normalise(grower.gains), rounds, Float64Array.from(losses), p);
}

function normalise(g: Float64Array): Float64Array {
  const s = g.reduce((a, b) => a + b, 0);
  return s > 0 ? g.map((v) => v / s) : g.slice();
}

class GbdtModel implements GbdtClassifier {
  readonly kind = 'gbdt' as const;
  private readonly K: number;

  constructor(
    readonly trees: TreeEnsemble,
    readonly nFeatures: number,
    readonly nClasses: number,
    private readonly baseline: Float64Array,
    private readonly importance: Float64Array,
    readonly nRounds: number,
    readonly validationLoss: Float64Array,
    private readonly params: Readonly<GbdtParams>,
  ) {
    this.K = nClasses === 2 ? 1 : nClasses;
  }

  /** Raw scores (n × K): baseline plus every tree's leaf value. */
  private rawScores(X: Matrix): Float64Array {
    checkFeatures(X, this.nFeatures, 'gbdt');
    const K = this.K;
    const raw = new Float64Array(X.nRows * K);
    for (let i = 0; i < X.nRows; i++) for (let k = 0; k < K; k++) raw[i * K + k] = this.baseline[k];
    accumulateTrees(this.trees, X, raw, K);
    return raw;
  }

  predictProba(X: Matrix, out?: Float64Array): Float64Array {
    const raw = this.rawScores(X);
    const C = this.nClasses;
    const res = out ?? new Float64Array(X.nRows * C);
    if (res.length < X.nRows * C) throw new RangeError(`gbdt predictProba: out has ${res.length} slots, needs ${X.nRows * C}`);
    if (this.K === 1) {
      for (let i = 0; i < X.nRows; i++) {
        const p1 = 1 / (1 + Math.exp(-raw[i]));
        res[2 * i] = 1 - p1;
        res[2 * i + 1] = p1;
      }
    } else {
      for (let i = 0; i < X.nRows; i++) {
        const o = i * C;
        let m = -Infinity;
        for (let k = 0; k < C; k++) m = Math.max(m, raw[o + k]);
        let s = 0;
        for (let k = 0; k < C; k++) s += res[o + k] = Math.exp(raw[o + k] - m);
        for (let k = 0; k < C; k++) res[o + k] /= s;
      }
    }
    return res;
  }

  predict(X: Matrix, out?: Int32Array): Int32Array {
    const raw = this.rawScores(X);
    const res = out ?? new Int32Array(X.nRows);
    if (res.length < X.nRows) throw new RangeError(`gbdt predict: out has ${res.length} slots, needs ${X.nRows}`);
    const K = this.K;
    for (let i = 0; i < X.nRows; i++) {
      if (K === 1) res[i] = raw[i] >= 0 ? 1 : 0;
      else {
        let b = 0;
        for (let k = 1; k < K; k++) if (raw[i * K + k] > raw[i * K + b]) b = k;
        res[i] = b;
      }
    }
    return res;
  }

  featureImportance(): Float64Array {
    return this.importance.slice();
  }

  serialize(): SerializedModel {
    return {
      kind: 'gbdt',
      params: { ...this.params, nFeatures: this.nFeatures, nClasses: this.nClasses, nRounds: this.nRounds },
      arrays: { ...ensembleArrays(this.trees), baseline: this.baseline, importance: this.importance, validationLoss: this.validationLoss },
    };
  }
}

/**
 * Rebuilds a boosted-trees classifier from {@link GbdtClassifier.serialize} output.
 * @throws IpqsecError IPQ-M001 when the arrays or params are inconsistent (corrupt model file).
 */
export function deserializeGbdt(s: SerializedModel): GbdtClassifier {
  try {
    if (s.kind !== 'gbdt') throw new TypeError(`kind ${s.kind}`);
    const { nFeatures, nClasses, nRounds } = s.params as Record<string, unknown>;
    if (typeof nFeatures !== 'number' || !Number.isInteger(nFeatures) || nFeatures < 1) throw new TypeError('nFeatures');
    if (typeof nClasses !== 'number' || !Number.isInteger(nClasses) || nClasses < 2) throw new TypeError('nClasses');
    if (typeof nRounds !== 'number' || !Number.isInteger(nRounds) || nRounds < 0) throw new TypeError('nRounds');
    const K = nClasses === 2 ? 1 : nClasses;
    const trees = ensembleFromArrays(s.arrays, 1, nFeatures);
    const { baseline, importance, validationLoss } = s.arrays;
    if (!(baseline instanceof Float64Array) || baseline.length !== K) throw new TypeError('baseline');
    if (!(importance instanceof Float64Array) || importance.length !== nFeatures) throw new TypeError('importance');
    if (!(validationLoss instanceof Float64Array)) throw new TypeError('validationLoss');
    if (trees.nTrees !== nRounds * K) throw new RangeError('tree count');
    const params = { ...GBDT_DEFAULTS, ...(s.params as Partial<GbdtParams>) };
    return new GbdtModel(trees, nFeatures, nClasses, baseline, importance, nRounds, validationLoss, params);
  } catch (e) {
    if (e instanceof IpqsecError) throw e;
    throw new IpqsecError('IPQ-M001', `gbdt model: ${(e as Error).message}`, { cause: e });
  }
}
