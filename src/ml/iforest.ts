/**
 * Isolation forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008), fitted on normal rows only and used as
 * a binary normal-vs-attack classifier.
 *
 * Each isolation tree is grown on ψ = min(maxSamples, n_normal) rows drawn without replacement (Alg. 1),
 * splitting on a random attribute at a value drawn uniformly between its minimum and maximum in the node
 * (Alg. 2), up to the height limit ⌈log₂ ψ⌉. A point's path length h(x) is the depth of the leaf it reaches
 * plus c(size) for the training rows left unsplit in that leaf (Alg. 3), and its anomaly score is
 * s(x) = 2^(−E[h(x)] / c(ψ)) (eq. 2), with c(n) = 2H(n − 1) − 2(n − 1)/n, H(i) ≈ ln i + γ (eq. 1).
 *
 * Like scikit-learn's IsolationForest, a node draws attributes without replacement until it finds one that
 * is not constant in the node (a node where every attribute is constant becomes a leaf), and rows with
 * `x[q] ≤ p` go left. Non-finite values: split ranges use the finite values only; NaN rows always go right
 * (the comparison is false); ±Infinity go to their side.
 *
 * The decision threshold is the `quantile` (default 0.95) of the training normal rows' scores (linear
 * interpolation, as numpy's default), so about 5 % of normal training rows are flagged.
 */
import { IpqsecError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { createRng, type Rng } from '../core/rng.js';
import { HalfBatchWorker } from './_half-batch-worker.js';
import { checkFeatures, type Classifier, type SerializedModel } from './classifier.js';
import type { IforestModelMessage, IforestRunMessage } from './iforest-predict-worker.js';
import type { TrainOptions } from './train-options.js';

/** Hyper-parameters of {@link trainIsolationForest}. */
export interface IsolationForestParams {
  /** Number of isolation trees t (integer ≥ 1). Default 100 (Liu et al. §5). */
  nEstimators: number;
  /** Sub-sample size ψ per tree (integer ≥ 2), capped at the number of normal rows. Default 256 (§4). */
  maxSamples: number;
  /** Quantile of the normal training scores used as decision threshold, in (0, 1). Default 0.95. */
  quantile: number;
  /** Seed of the random sub-samples and splits (integer). Default 42. */
  seed: number;
}

/** Defaults of {@link IsolationForestParams}. */
export const IFOREST_DEFAULTS: Readonly<IsolationForestParams> = Object.freeze({ nEstimators: 100, maxSamples: 256, quantile: 0.95, seed: 42 });

/** Rows scored together, tree by tree (measured ~1.25× faster than row by row: 50k × 122 Gaussian rows, 100 trees). */
export const SCORE_BLOCK = 256;

/** Euler–Mascheroni constant γ, for H(i) ≈ ln i + γ (Liu et al. 2008, §2). */
const EULER_GAMMA = 0.5772156649015329;

/**
 * Average path length of an unsuccessful binary-search-tree search among n points, c(n) (Liu et al. 2008,
 * eq. 1): 0 for n ≤ 1, 1 for n = 2, else 2H(n − 1) − 2(n − 1)/n with H(i) ≈ ln i + γ.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/**
 * Fits an isolation forest on the rows with `y === 0` (normal).
 *
 * @param X training matrix `n × d`.
 * @param y labels, 0 = normal; other rows are ignored when fitting (they may be absent).
 * @param nClasses must be 2 (normal vs attack).
 * @param params hyper-parameters (see {@link IFOREST_DEFAULTS}).
 * @param opts `onProgress('iforest', tree, nEstimators)`; `sampleWeight`, `validation` and `threads` are ignored.
 * @returns a {@link Classifier} of kind `iforest`: `predictProba` gives `[1 − s, s]`, `predict` is `s > threshold`.
 * @throws IpqsecError `IPQ-M007` when nClasses ≠ 2; `IPQ-M006` for out-of-range hyper-parameters;
 *   `IPQ-D006` when there are fewer than 2 normal rows.
 * @throws RangeError when `y.length !== X.nRows`.
 */
export async function trainIsolationForest(
  X: Matrix,
  y: Int32Array,
  nClasses = 2,
  params: Partial<IsolationForestParams> = {},
  opts: TrainOptions = {},
): Promise<Classifier> {
  if (nClasses !== 2) {
    throw new IpqsecError('IPQ-M007', `isolation forest needs a binary target, got ${nClasses} classes`);
  }
  const p = checkParams(params);
  if (y.length !== X.nRows) throw new RangeError(`iforest: y has ${y.length} labels for ${X.nRows} rows`);
  let nNormal = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 0) nNormal++;
  if (nNormal < 2) throw new IpqsecError('IPQ-D006', `isolation forest needs at least 2 normal (y = 0) rows, found ${nNormal}`);
  const normal = new Int32Array(nNormal);
  for (let i = 0, k = 0; i < y.length; i++) if (y[i] === 0) normal[k++] = i;

  const psi = Math.min(p.maxSamples, nNormal);
  const maxDepth = Math.ceil(Math.log2(psi));
  const builder = new ForestBuilder(X, p.nEstimators, psi, maxDepth, createRng(p.seed));
  for (let t = 0; t < p.nEstimators; t++) {
    // Partial Fisher–Yates: the first ψ entries of `normal` become a uniform sample without replacement.
    for (let i = 0; i < psi; i++) {
      const j = i + builder.rng.int(nNormal - i);
      const tmp = normal[i];
      normal[i] = normal[j];
      normal[j] = tmp;
    }
    builder.buildTree(normal.subarray(0, psi));
    opts.onProgress?.('iforest', t + 1, p.nEstimators);
  }
  const forest = builder.finish();
  const model = new IsolationForestModel(X.nCols, forest, psi, Number.NaN, p);
  // Threshold: the quantile of the scores of every normal training row (not only the sub-samples).
  const scores = model.scoreSamples(X);
  const normalScores = new Float64Array(nNormal);
  for (let i = 0, k = 0; i < y.length; i++) if (y[i] === 0) normalScores[k++] = scores[i];
  return new IsolationForestModel(X.nCols, forest, psi, quantileLinear(normalScores, p.quantile), p);
}

/**
 * Rebuilds an isolation forest from {@link Classifier.serialize} output.
 * @throws IpqsecError `IPQ-M001` when arrays or parameters are missing or inconsistent; `IPQ-M005` for another kind.
 */
export function deserializeIsolationForest(s: SerializedModel): Classifier {
  if (s.kind !== 'iforest') throw new IpqsecError('IPQ-M005', `expected an iforest model, got "${s.kind}"`);
  const { nFeatures, psi, threshold, nEstimators, maxSamples, quantile, seed } = s.params;
  const { feature, splitValue, left, pathLength, roots } = s.arrays;
  if (
    typeof nFeatures !== 'number' || typeof psi !== 'number' || typeof threshold !== 'number' ||
    !(feature instanceof Int32Array) || !(splitValue instanceof Float64Array) || !(left instanceof Int32Array) ||
    !(pathLength instanceof Float64Array) || !(roots instanceof Int32Array)
  ) {
    throw new IpqsecError('IPQ-M001', 'iforest model lacks parameters or arrays');
  }
  const nNodes = feature.length;
  if (splitValue.length !== nNodes || left.length !== nNodes || pathLength.length !== nNodes || roots.length === 0) {
    throw new IpqsecError('IPQ-M001', 'iforest node arrays have different lengths');
  }
  for (let i = 0; i < nNodes; i++) {
    const f = feature[i];
    if (f >= nFeatures || (f >= 0 && !(left[i] > i && left[i] + 1 < nNodes))) {
      throw new IpqsecError('IPQ-M001', `iforest node ${i} is inconsistent`);
    }
  }
  for (let t = 0; t < roots.length; t++) {
    if (!(roots[t] >= 0 && roots[t] < nNodes)) throw new IpqsecError('IPQ-M001', `iforest root ${t} out of range`);
  }
  const forest: Forest = { feature: feature.slice(), splitValue: splitValue.slice(), left: left.slice(), pathLength: pathLength.slice(), roots: roots.slice() };
  return new IsolationForestModel(nFeatures, forest, psi, threshold, {
    nEstimators: Number(nEstimators),
    maxSamples: Number(maxSamples),
    quantile: Number(quantile),
    seed: Number(seed),
  });
}

/** Flat node arrays of all trees. A node with `feature < 0` is a leaf. Children of node i: left[i], left[i] + 1. */
interface Forest {
  readonly feature: Int32Array;
  readonly splitValue: Float64Array;
  readonly left: Int32Array;
  /** For leaves: depth + c(size), the path length of Alg. 3 for points ending there. */
  readonly pathLength: Float64Array;
  readonly roots: Int32Array;
}

/** A fitted isolation forest. */
export class IsolationForestModel implements Classifier {
  readonly kind = 'iforest' as const;
  readonly nClasses = 2;
  private readonly cPsi: number;
  private readonly blockTotals = new Float64Array(SCORE_BLOCK);

  /**
   * @param psi the sub-sample size actually used (normalises path lengths by c(ψ)).
   * @param threshold decision threshold on s (NaN while training computes it).
   */
  constructor(
    readonly nFeatures: number,
    private readonly forest: Forest,
    readonly psi: number,
    readonly threshold: number,
    private readonly params: IsolationForestParams,
  ) {
    this.cPsi = averagePathLength(psi);
  }

  private packedForest: PackedForest | undefined;

  /** The packed form of the forest (built on first use). */
  private packed(): PackedForest {
    return (this.packedForest ??= packForest(this.forest));
  }

  /**
   * Anomaly score s(x) = 2^(−E[h(x)]/c(ψ)) per row, in (0, 1] (Liu et al. 2008, eq. 2).
   * @throws RangeError when `X.nCols !== nFeatures`.
   */
  scoreSamples(X: Matrix, out?: Float64Array): Float64Array {
    checkFeatures(X, this.nFeatures, 'iforest');
    const n = X.nRows;
    const res = out ?? new Float64Array(n);
    if (res.length < n) throw new RangeError(`iforest: output buffer has ${res.length} slots, need ${n}`);
    const pf = this.packed();
    scoreParallel(pf, X.data, this.nFeatures, n, res, this.blockTotals, -1 / (pf.roots.length * this.cPsi));
    return res;
  }

  predictProba(X: Matrix, out?: Float64Array): Float64Array {
    const n = X.nRows;
    const res = out ?? new Float64Array(2 * n);
    if (res.length < 2 * n) throw new RangeError(`iforest: output buffer has ${res.length} slots, need ${2 * n}`);
    this.scoreSamples(X, res);
    for (let i = n - 1; i >= 0; i--) {
      const s = res[i];
      res[2 * i + 1] = s;
      res[2 * i] = 1 - s;
    }
    return res;
  }

  predict(X: Matrix, out?: Int32Array): Int32Array {
    const n = X.nRows;
    const res = out ?? new Int32Array(n);
    if (res.length < n) throw new RangeError(`iforest: output buffer has ${res.length} slots, need ${n}`);
    const s = this.scoreSamples(X);
    for (let i = 0; i < n; i++) res[i] = s[i] > this.threshold ? 1 : 0;
    return res;
  }

  /** Isolation trees split on random attributes: no feature importance (undefined). */
  featureImportance(): Float64Array | undefined {
    return undefined;
  }

  serialize(): SerializedModel {
    const f = this.forest;
    return {
      kind: 'iforest',
      params: { ...this.params, nFeatures: this.nFeatures, psi: this.psi, threshold: this.threshold },
      arrays: {
        feature: f.feature.slice(),
        splitValue: f.splitValue.slice(),
        left: f.left.slice(),
        pathLength: f.pathLength.slice(),
        roots: f.roots.slice(),
      },
    };
  }
}

/**
 * The forest packed for scoring, 16 bytes per node: `fields` (Int32) and `nodes` (Float64) view one buffer.
 * Node at Int32 index `b = 4k`: `fields[b]` = feature (0 for a leaf), `fields[b + 1]` = Int32 index of its
 * left child with bit 0 set (the right child follows 4 later), or `b` itself for a leaf (bit 0 clear, so a
 * leaf keeps the row whatever the comparison gives); `nodes[b / 2 + 1]` = split value, or the leaf's path
 * length. `roots` are Int32 indices; `depth[t]` is the maximal leaf depth of tree t.
 */
interface PackedForest {
  readonly nodes: Float64Array;
  readonly fields: Int32Array;
  readonly roots: Int32Array;
  readonly depth: Int32Array;
}

function packForest(f: Forest): PackedForest {
  const nNodes = f.feature.length;
  const buf = new ArrayBuffer(16 * nNodes);
  const fields = new Int32Array(buf);
  const nodes = new Float64Array(buf);
  const nodeDepth = new Int32Array(nNodes);
  for (let i = 0; i < nNodes; i++) {
    const b = 4 * i;
    if (f.feature[i] < 0) {
      fields[b] = 0;
      fields[b + 1] = b;
      nodes[2 * i + 1] = f.pathLength[i];
    } else {
      fields[b] = f.feature[i];
      fields[b + 1] = 4 * f.left[i] + 1;
      nodes[2 * i + 1] = f.splitValue[i];
    }
  }
  // Children follow their parent (left[i] > i, checked on deserialisation), so one forward pass sets depths.
  for (let i = 0; i < nNodes; i++) {
    if (f.feature[i] >= 0) nodeDepth[f.left[i]] = nodeDepth[f.left[i] + 1] = nodeDepth[i] + 1;
  }
  const nTrees = f.roots.length;
  const roots = new Int32Array(nTrees);
  const depth = new Int32Array(nTrees);
  for (let t = 0; t < nTrees; t++) {
    roots[t] = 4 * f.roots[t];
    const end = t + 1 < nTrees ? f.roots[t + 1] : nNodes;
    let mx = 0;
    for (let i = f.roots[t]; i < end; i++) if (nodeDepth[i] > mx) mx = nodeDepth[i];
    depth[t] = mx;
  }
  return { nodes, fields, roots, depth };
}

/**
 * Adds every tree's path length for rows `[r0, r1)` of `x` (row-major, `d` columns) and writes
 * `2^(total · scale)` to `res[r0 .. r1)`. Tree-major over blocks of {@link SCORE_BLOCK} rows, so each row's
 * sum is in tree order; each row walks exactly `depth[t]` steps (a leaf points to itself), eight rows at once.
 * The child is computed without a branch: `Number(!(x ≤ split))` is 1 for `x > split` and for NaN (right), as
 * the raw walk; V8 turns it into a flag, while `cond ? 0 : 1` compiles to a mispredicted branch. Measured on
 * KDDTest+ (22,544 rows, 100 trees, ψ = 256, one thread): 0.24 → 0.52 M rows/s; the same lockstep walk with
 * `cond ? 0 : 1` stayed at 0.24.
 */
export function scorePacked(
  N: Float64Array, I: Int32Array, roots: Int32Array, depth: Int32Array,
  x: Float64Array, d: number, r0: number, r1: number, res: Float64Array, total: Float64Array, scale: number,
): void {
  const nTrees = roots.length;
  for (let s0 = r0; s0 < r1; s0 += SCORE_BLOCK) {
    const s1 = Math.min(r1, s0 + SCORE_BLOCK);
    const nb = s1 - s0;
    const nFull = nb & ~7;
    total.fill(0);
    for (let t = 0; t < nTrees; t++) {
      const root = roots[t];
      const D = depth[t];
      for (let r = 0; r < nFull; r += 8) {
        const o0 = (s0 + r) * d;
        const o1 = o0 + d;
        const o2 = o1 + d;
        const o3 = o2 + d;
        const o4 = o3 + d;
        const o5 = o4 + d;
        const o6 = o5 + d;
        const o7 = o6 + d;
        let b0 = root;
        let b1 = root;
        let b2 = root;
        let b3 = root;
        let b4 = root;
        let b5 = root;
        let b6 = root;
        let b7 = root;
        for (let k = 0; k < D; k++) {
          const l0 = I[b0 + 1];
          const l1 = I[b1 + 1];
          const l2 = I[b2 + 1];
          const l3 = I[b3 + 1];
          const l4 = I[b4 + 1];
          const l5 = I[b5 + 1];
          const l6 = I[b6 + 1];
          const l7 = I[b7 + 1];
          b0 = (l0 & -4) + ((Number(!(x[o0 + I[b0]] <= N[(b0 >> 1) + 1])) & l0) << 2);
          b1 = (l1 & -4) + ((Number(!(x[o1 + I[b1]] <= N[(b1 >> 1) + 1])) & l1) << 2);
          b2 = (l2 & -4) + ((Number(!(x[o2 + I[b2]] <= N[(b2 >> 1) + 1])) & l2) << 2);
          b3 = (l3 & -4) + ((Number(!(x[o3 + I[b3]] <= N[(b3 >> 1) + 1])) & l3) << 2);
          b4 = (l4 & -4) + ((Number(!(x[o4 + I[b4]] <= N[(b4 >> 1) + 1])) & l4) << 2);
          b5 = (l5 & -4) + ((Number(!(x[o5 + I[b5]] <= N[(b5 >> 1) + 1])) & l5) << 2);
          b6 = (l6 & -4) + ((Number(!(x[o6 + I[b6]] <= N[(b6 >> 1) + 1])) & l6) << 2);
          b7 = (l7 & -4) + ((Number(!(x[o7 + I[b7]] <= N[(b7 >> 1) + 1])) & l7) << 2);
        }
        total[r] += N[(b0 >> 1) + 1];
        total[r + 1] += N[(b1 >> 1) + 1];
        total[r + 2] += N[(b2 >> 1) + 1];
        total[r + 3] += N[(b3 >> 1) + 1];
        total[r + 4] += N[(b4 >> 1) + 1];
        total[r + 5] += N[(b5 >> 1) + 1];
        total[r + 6] += N[(b6 >> 1) + 1];
        total[r + 7] += N[(b7 >> 1) + 1];
      }
      for (let r = nFull; r < nb; r++) {
        const o = (s0 + r) * d;
        let b = root;
        for (let k = 0; k < D; k++) {
          const l = I[b + 1];
          b = (l & -4) + ((Number(!(x[o + I[b]] <= N[(b >> 1) + 1])) & l) << 2);
        }
        total[r] += N[(b >> 1) + 1];
      }
    }
    for (let i = 0; i < nb; i++) res[s0 + i] = Math.pow(2, total[i] * scale);
  }
}

/** `workerData` marker of the scoring worker (`iforest-predict-worker.ts`). */
export const IFOREST_WORKER_KIND = 'ipqsec-iforest-predict';
/** Smallest batch split across two threads (below it, start-up and copies cost more than they save). */
export const IFOREST_PARALLEL_MIN_ROWS = 8192;

const halfBatch = new HalfBatchWorker<PackedForest>(new URL('./iforest-predict-worker.js', import.meta.url), IFOREST_WORKER_KIND);

/**
 * {@link scorePacked} over rows `[0, n)`, with the second half on the scoring worker when `n ≥`
 * {@link IFOREST_PARALLEL_MIN_ROWS} and a worker is available (compiled JavaScript only). Identical scores
 * either way; blocks (Atomics.wait) until the worker is done, and scores the worker's rows here if it fails or
 * times out (then stops using it). Measured on KDDTest+ (22,544 rows, 100 trees, ψ = 256) on the shared
 * 2-core machine: 0.47-0.52 → 0.57-0.61 M rows/s wall (process CPU time per row up ~30 %: copies, contention).
 */
function scoreParallel(pf: PackedForest, x: Float64Array, d: number, n: number, res: Float64Array, total: Float64Array, scale: number): void {
  const { nodes, fields, roots, depth } = pf;
  if (n < IFOREST_PARALLEL_MIN_ROWS || !halfBatch.available()) {
    scorePacked(nodes, fields, roots, depth, x, d, 0, n, res, total, scale);
    return;
  }
  const h = n >> 1;
  const data = new SharedArrayBuffer((n - h) * d * 8);
  new Float64Array(data).set(x.subarray(h * d, n * d));
  const outSab = new SharedArrayBuffer((n - h) * 8);
  const outcome = halfBatch.run(
    pf,
    (id) => ({ kind: 'model', id, nodes, roots, depth }) satisfies IforestModelMessage,
    (id, flag) => ({ kind: 'run', id, data, nCols: d, nRows: n - h, out: outSab, scale, flag }) satisfies IforestRunMessage,
    () => scorePacked(nodes, fields, roots, depth, x, d, 0, h, res, total, scale),
  );
  if (outcome === 'done') res.set(new Float64Array(outSab), h);
  else scorePacked(nodes, fields, roots, depth, x, d, h, n, res, total, scale);
}

/** Grows isolation trees into preallocated flat arrays (a tree on ψ rows has at most 2ψ − 1 nodes). */
class ForestBuilder {
  private readonly feature: Int32Array;
  private readonly splitValue: Float64Array;
  private readonly left: Int32Array;
  private readonly pathLength: Float64Array;
  private readonly roots: Int32Array;
  private nNodes = 0;
  private nTrees = 0;
  private readonly candidates: Int32Array;
  private readonly rows: Int32Array;

  constructor(
    private readonly X: Matrix,
    nEstimators: number,
    psi: number,
    private readonly maxDepth: number,
    readonly rng: Rng,
  ) {
    const cap = nEstimators * (2 * psi - 1);
    this.feature = new Int32Array(cap);
    this.splitValue = new Float64Array(cap);
    this.left = new Int32Array(cap);
    this.pathLength = new Float64Array(cap);
    this.roots = new Int32Array(nEstimators);
    this.candidates = new Int32Array(X.nCols);
    this.rows = new Int32Array(psi);
  }

  buildTree(sample: Int32Array): void {
    this.rows.set(sample);
    const root = this.nNodes++;
    this.roots[this.nTrees++] = root;
    this.grow(root, 0, sample.length, 0);
  }

  /** iTree(X, e, l) of Liu et al. Alg. 2 over rows[lo, hi) at depth e. */
  private grow(node: number, lo: number, hi: number, depth: number): void {
    const size = hi - lo;
    if (depth >= this.maxDepth || size <= 1 || !this.chooseSplit(node, lo, hi)) {
      this.feature[node] = -1;
      this.pathLength[node] = depth + averagePathLength(size);
      return;
    }
    // Partition rows[lo, hi) in place: x[q] ≤ p to the left.
    const q = this.feature[node];
    const p = this.splitValue[node];
    const { data, nCols } = this.X;
    const rows = this.rows;
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      if (data[rows[i] * nCols + q] <= p) i++;
      else {
        const t = rows[i];
        rows[i] = rows[j];
        rows[j--] = t;
      }
    }
    const l = this.nNodes;
    this.nNodes += 2;
    this.left[node] = l;
    this.grow(l, lo, i, depth + 1);
    this.grow(l + 1, i, hi, depth + 1);
  }

  /**
   * Draws attributes without replacement until one has distinct finite values in the node; sets the split
   * value uniformly in [min, max) of its finite values. Returns false when every attribute is constant.
   */
  private chooseSplit(node: number, lo: number, hi: number): boolean {
    const { data, nCols } = this.X;
    const cand = this.candidates;
    const rows = this.rows;
    for (let j = 0; j < nCols; j++) cand[j] = j;
    for (let remaining = nCols; remaining > 0; remaining--) {
      const pick = this.rng.int(remaining);
      const q = cand[pick];
      cand[pick] = cand[remaining - 1];
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = lo; i < hi; i++) {
        const v = data[rows[i] * nCols + q];
        if (v - v === 0) {
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
      }
      if (mx > mn) {
        let p = mn + this.rng.next() * (mx - mn);
        if (p >= mx) p = mn; // rounding guard: keep the right side non-empty (as scikit-learn)
        this.feature[node] = q;
        this.splitValue[node] = p;
        return true;
      }
    }
    return false;
  }

  finish(): Forest {
    const n = this.nNodes;
    return {
      feature: this.feature.slice(0, n),
      splitValue: this.splitValue.slice(0, n),
      left: this.left.slice(0, n),
      pathLength: this.pathLength.slice(0, n),
      roots: this.roots.slice(0, this.nTrees),
    };
  }
}

function checkParams(params: Partial<IsolationForestParams>): IsolationForestParams {
  const p: IsolationForestParams = { ...IFOREST_DEFAULTS, ...params };
  const bad = (name: string, v: unknown, range: string): never => {
    throw new IpqsecError('IPQ-M006', `iforest ${name} = ${String(v)}, expected ${range}`);
  };
  if (!Number.isInteger(p.nEstimators) || p.nEstimators < 1) bad('nEstimators', p.nEstimators, 'an integer ≥ 1');
  if (!Number.isInteger(p.maxSamples) || p.maxSamples < 2) bad('maxSamples', p.maxSamples, 'an integer ≥ 2');
  if (!(p.quantile > 0 && p.quantile < 1)) bad('quantile', p.quantile, 'a number in (0, 1)');
  if (!Number.isInteger(p.seed)) bad('seed', p.seed, 'an integer');
  return p;
}

/** The q-quantile of `a` with linear interpolation between order statistics (numpy's default, type 7). */
function quantileLinear(a: Float64Array, q: number): number {
  const s = a.slice().sort();
  const pos = q * (s.length - 1);
  const i = Math.floor(pos);
  const frac = pos - i;
  return i + 1 < s.length ? s[i] + frac * (s[i + 1] - s[i]) : s[i];
}
