/**
 * Random forest classifier (Breiman, "Random forests", Machine Learning 45, 2001) on the histogram split
 * finder of `histogram.ts`: bootstrap samples, `maxFeatures` features per node, Gini criterion, probabilities
 * = mean of the trees' leaf class distributions, out-of-bag estimate.
 *
 * Trees are grown on `threads` worker threads (default min(2, os.availableParallelism())) that share the
 * binned data through SharedArrayBuffers. Tree `i` is seeded from (seed, i), so the forest is identical for
 * any thread count. Workers need the compiled `forest-worker.js`; when this module runs from TypeScript
 * source (vitest) or `threads = 1`, trees are grown in-process instead.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { IpqsecError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { createRng } from '../core/rng.js';
import { binColumns, fitBinMapper } from './binning.js';
import { checkFeatures } from './classifier.js';
import type { Classifier, SerializedModel } from './classifier.js';
import { bootstrapCounts, ForestTreeGrower, treeSeed } from './forest-worker.js';
import type { ForestJob, ForestTreeSettings, ForestWorkerData, GrownTree } from './forest-worker.js';
import { checkTrainingInputs } from './gbdt.js';
import type { TrainOptions } from './train-options.js';
import { accumulateTrees, concatEnsembles, ensembleArrays, ensembleFromArrays, leafOf } from './tree.js';
import type { TreeEnsemble } from './tree.js';

/** Hyper-parameters of {@link trainForest} (names follow scikit-learn's RandomForestClassifier). */
export interface ForestParams {
  /** Trees, 1..65536. Default 100. */
  nEstimators: number;
  /** Depth limit; 0 = unlimited. Default 0. */
  maxDepth: number;
  /** Minimum rows per leaf. Default 1. */
  minSamplesLeaf: number;
  /** Minimum rows to split a node. Default 2. */
  minSamplesSplit: number;
  /** Features tried per node: 'sqrt' (default), 'log2', 'all', a fraction in (0, 1), or a count ≥ 1. */
  maxFeatures: 'sqrt' | 'log2' | 'all' | number;
  /** Bootstrap sample per tree (default true); false trains every tree on all rows. */
  bootstrap: boolean;
  /** Value bins per feature, 2..255. Default 255. */
  maxBins: number;
  /** Rows sampled for the bin quantiles. Default 200,000. */
  binSubsample: number;
  /** Seed of the bins, bootstraps and feature draws. Default 0. */
  seed: number;
}

/** Defaults of {@link ForestParams}. */
export const FOREST_DEFAULTS: Readonly<ForestParams> = {
  nEstimators: 100,
  maxDepth: 0,
  minSamplesLeaf: 1,
  minSamplesSplit: 2,
  maxFeatures: 'sqrt',
  bootstrap: true,
  maxBins: 255,
  binSubsample: 200_000,
  seed: 0,
};

/** A trained random forest, with its out-of-bag estimate when trained with bootstrap. */
export interface ForestClassifier extends Classifier {
  readonly kind: 'forest';
  /** OOB accuracy over the rows that were out of bag for at least one tree (NaN without bootstrap). */
  readonly oobAccuracy: number;
  /**
   * OOB class probabilities, row-major nRows × nClasses (NaN for a row in every bootstrap sample); only on a
   * freshly trained model (not stored in the model file).
   */
  readonly oobProba: Float64Array | undefined;
  /** Normalised total split gain per feature (sums to 1 when any split was made). */
  featureImportance(): Float64Array;
  readonly trees: TreeEnsemble;
}

function invalid(name: string, value: unknown, range: string): never {
  throw new IpqsecError('IPQ-M006', `forest ${name} = ${String(value)}, expected ${range}`, { details: { param: name } });
}

function resolveParams(p: Partial<ForestParams> | undefined): ForestParams {
  const q: ForestParams = { ...FOREST_DEFAULTS, ...p };
  const int = (name: keyof ForestParams, lo: number, hi = Number.MAX_SAFE_INTEGER) => {
    const v = q[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) invalid(name, v, `an integer in [${lo}, ${hi}]`);
  };
  int('nEstimators', 1, 65536);
  int('maxDepth', 0);
  int('minSamplesLeaf', 1);
  int('minSamplesSplit', 2);
  int('maxBins', 2, 255);
  int('binSubsample', 1000);
  int('seed', Number.MIN_SAFE_INTEGER);
  const mf = q.maxFeatures;
  if (!(mf === 'sqrt' || mf === 'log2' || mf === 'all' || (typeof mf === 'number' && mf > 0 && (mf < 1 || Number.isInteger(mf))))) {
    invalid('maxFeatures', mf, "'sqrt', 'log2', 'all', a fraction in (0, 1) or an integer ≥ 1");
  }
  if (typeof q.bootstrap !== 'boolean') invalid('bootstrap', q.bootstrap, 'true or false');
  return q;
}

function featuresPerNode(mf: ForestParams['maxFeatures'], F: number): number {
  if (mf === 'all') return F;
  if (mf === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(F)));
  if (mf === 'log2') return Math.max(1, Math.floor(Math.log2(F)));
  if (mf < 1) return Math.max(1, Math.floor(mf * F));
  return Math.min(F, mf);
}

function shared<T extends Int32Array | Float64Array | Uint8Array>(a: T): T {
  const ctor = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/** Grows trees `0 .. nTrees−1` on `threads` workers, dynamic scheduling; resolves with the trees in index order. */
function growOnWorkers(data: ForestWorkerData, nTrees: number, threads: number, onTree: (done: number) => void): Promise<GrownTree[]> {
  const out: GrownTree[] = new Array<GrownTree>(nTrees);
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let done = 0;
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(new IpqsecError('IPQ-X001', `forest worker: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
    };
    const nw = Math.min(threads, nTrees);
    for (let t = 0; t < nw; t++) {
      const w = new Worker(new URL('./forest-worker.js', import.meta.url), { workerData: data });
      workers.push(w);
      w.on('message', (msg: { index: number } & GrownTree) => {
        out[msg.index] = { tree: msg.tree, gains: msg.gains };
        done++;
        onTree(done);
        if (next < nTrees) w.postMessage({ index: next++ } satisfies ForestJob);
        else if (done === nTrees) {
          for (const x of workers) void x.terminate();
          resolve(out);
        }
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (code !== 0 && done < nTrees) fail(new Error(`worker exited with code ${code}`));
      });
      w.postMessage({ index: next++ } satisfies ForestJob);
    }
  });
}

/**
 * Trains a random forest.
 * @param X training rows (`NaN` = missing); y class indices 0..nClasses−1 (binary: 1 = attack).
 * @param opts `threads` worker threads (default min(2, availableParallelism())); `sampleWeight` multiplies
 *   the bootstrap counts; `validation` is ignored.
 * @throws IpqsecError IPQ-M006 for an out-of-range hyper-parameter, IPQ-X001 when a worker fails;
 *   RangeError for inconsistent inputs.
 */
export async function trainForest(
  X: Matrix,
  y: Int32Array,
  nClasses: number,
  params?: Partial<ForestParams>,
  opts: TrainOptions = {},
): Promise<ForestClassifier> {
  const p = resolveParams(params);
  checkTrainingInputs(X, y, nClasses, opts.sampleWeight, 'trainForest');
  const threads = opts.threads ?? Math.min(2, availableParallelism());
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`trainForest: threads must be an integer ≥ 1, got ${threads}`);
  const n = X.nRows;
  const F = X.nCols;
  const K = nClasses;
  const mapper = fitBinMapper(X, p.maxBins, p.binSubsample, p.seed);
  const settings: ForestTreeSettings = {
    nClasses: K,
    maxDepth: p.maxDepth,
    minSamplesLeaf: p.minSamplesLeaf,
    minSamplesSplit: p.minSamplesSplit,
    maxFeatures: featuresPerNode(p.maxFeatures, F),
    bootstrap: p.bootstrap,
    seed: p.seed,
  };
  // Workers need the compiled worker file; from TypeScript sources (vitest) grow in-process.
  const useWorkers = threads > 1 && p.nEstimators > 1 && !import.meta.url.endsWith('.ts');
  const progress = (done: number) => opts.onProgress?.('forest', done, p.nEstimators);
  let grown: GrownTree[];
  if (useWorkers) {
    const bins = binColumns(X, mapper, new Uint8Array(new SharedArrayBuffer(n * F)));
    const data: ForestWorkerData = {
      kind: 'ipqsec-forest',
      bins: bins.buffer as SharedArrayBuffer,
      y: shared(y).buffer as SharedArrayBuffer,
      sampleWeight: opts.sampleWeight === undefined ? undefined : (shared(opts.sampleWeight).buffer as SharedArrayBuffer),
      nRows: n,
      mapper,
      settings,
    };
    grown = await growOnWorkers(data, p.nEstimators, threads, progress);
  } else {
    const grower = new ForestTreeGrower({ bins: binColumns(X, mapper), nRows: n, mapper, y, sampleWeight: opts.sampleWeight }, settings);
    grown = [];
    for (let i = 0; i < p.nEstimators; i++) {
      grown.push(grower.grow(i));
      progress(i + 1);
    }
  }
  const trees = concatEnsembles(grown.map((g) => g.tree));
  // Importance: each tree's Gini decreases normalised to sum 1, averaged (scikit-learn's feature_importances_).
  const imp = new Float64Array(F);
  for (const g of grown) {
    const s = g.gains.reduce((a, b) => a + b, 0);
    if (s > 0) for (let f = 0; f < F; f++) imp[f] += g.gains[f] / s;
  }
  const si = imp.reduce((a, b) => a + b, 0);
  if (si > 0) for (let f = 0; f < F; f++) imp[f] /= si;

  let oobAccuracy = Number.NaN;
  let oobProba: Float64Array | undefined;
  if (p.bootstrap) {
    oobProba = new Float64Array(n * K);
    const votes = new Int32Array(n);
    const counts = new Int32Array(n);
    for (let t = 0; t < trees.nTrees; t++) {
      bootstrapCounts(n, createRng(treeSeed(p.seed, t)), counts);
      for (let r = 0; r < n; r++) {
        if (counts[r] !== 0) continue;
        const leaf = leafOf(trees, trees.roots[t], X.data, r * F);
        for (let k = 0; k < K; k++) oobProba[r * K + k] += trees.leafValue[leaf * K + k];
        votes[r]++;
      }
    }
    let ok = 0;
    let m = 0;
    for (let r = 0; r < n; r++) {
      if (votes[r] === 0) {
        for (let k = 0; k < K; k++) oobProba[r * K + k] = Number.NaN;
        continue;
      }
      for (let k = 0; k < K; k++) oobProba[r * K + k] /= votes[r];
      m++;
      if (argmaxRow(oobProba, r, K) === y[r]) ok++;
    }
    oobAccuracy = m > 0 ? ok / m : Number.NaN;
  }
  return new ForestModel(trees, F, K, imp, oobAccuracy, oobProba, p);
}

/** Predicted class of row `r` of probabilities `P` (n × K): binary p1 ≥ 0.5, else the first argmax. */
function argmaxRow(P: Float64Array, r: number, K: number): number {
  const o = r * K;
  if (K === 2) return P[o + 1] >= 0.5 ? 1 : 0;
  let b = 0;
  for (let k = 1; k < K; k++) if (P[o + k] > P[o + b]) b = k;
  return b;
}

class ForestModel implements ForestClassifier {
  readonly kind = 'forest' as const;

  constructor(
    readonly trees: TreeEnsemble,
    readonly nFeatures: number,
    readonly nClasses: number,
    private readonly importance: Float64Array,
    readonly oobAccuracy: number,
    readonly oobProba: Float64Array | undefined,
    private readonly params: Readonly<ForestParams>,
  ) {}

  predictProba(X: Matrix, out?: Float64Array): Float64Array {
    checkFeatures(X, this.nFeatures, 'forest');
    const K = this.nClasses;
    const res = out ?? new Float64Array(X.nRows * K);
    if (res.length < X.nRows * K) throw new RangeError(`forest predictProba: out has ${res.length} slots, needs ${X.nRows * K}`);
    res.fill(0, 0, X.nRows * K);
    accumulateTrees(this.trees, X, res, K);
    const inv = 1 / this.trees.nTrees;
    for (let i = 0; i < X.nRows * K; i++) res[i] *= inv;
    return res;
  }

  predict(X: Matrix, out?: Int32Array): Int32Array {
    const P = this.predictProba(X);
    const res = out ?? new Int32Array(X.nRows);
    if (res.length < X.nRows) throw new RangeError(`forest predict: out has ${res.length} slots, needs ${X.nRows}`);
    for (let r = 0; r < X.nRows; r++) res[r] = argmaxRow(P, r, this.nClasses);
    return res;
  }

  featureImportance(): Float64Array {
    return this.importance.slice();
  }

  serialize(): SerializedModel {
    return {
      kind: 'forest',
      params: { ...this.params, nFeatures: this.nFeatures, nClasses: this.nClasses, oobAccuracy: Number.isNaN(this.oobAccuracy) ? null : this.oobAccuracy },
      arrays: { ...ensembleArrays(this.trees), importance: this.importance },
    };
  }
}

/**
 * Rebuilds a forest from {@link ForestClassifier.serialize} output (without the per-row OOB probabilities).
 * @throws IpqsecError IPQ-M001 when the arrays or params are inconsistent (corrupt model file).
 */
export function deserializeForest(s: SerializedModel): ForestClassifier {
  try {
    if (s.kind !== 'forest') throw new TypeError(`kind ${s.kind}`);
    const { nFeatures, nClasses, oobAccuracy } = s.params as Record<string, unknown>;
    if (typeof nFeatures !== 'number' || !Number.isInteger(nFeatures) || nFeatures < 1) throw new TypeError('nFeatures');
    if (typeof nClasses !== 'number' || !Number.isInteger(nClasses) || nClasses < 2) throw new TypeError('nClasses');
    const trees = ensembleFromArrays(s.arrays, nClasses, nFeatures);
    if (trees.nTrees < 1) throw new RangeError('no trees');
    const { importance } = s.arrays;
    if (!(importance instanceof Float64Array) || importance.length !== nFeatures) throw new TypeError('importance');
    const oob = typeof oobAccuracy === 'number' ? oobAccuracy : Number.NaN;
    const params = { ...FOREST_DEFAULTS, ...(s.params as Partial<ForestParams>) };
    return new ForestModel(trees, nFeatures, nClasses, importance, oob, undefined, params);
  } catch (e) {
    if (e instanceof IpqsecError) throw e;
    throw new IpqsecError('IPQ-M001', `forest model: ${(e as Error).message}`, { cause: e });
  }
}
