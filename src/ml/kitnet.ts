/**
 * KitNET: Kitsune's online unsupervised anomaly detector, an ensemble of small autoencoders (Mirsky, Doitshman,
 * Elovici & Shabtai, "Kitsune: An Ensemble of Autoencoders for Online Network Intrusion Detection", NDSS 2018,
 * §IV-C/D; reference code ymirsky/Kitsune-py `KitNET/KitNET.py`, `corClust.py`, `dA.py`).
 *
 * Three phases, counted in {@link KitNET.learnOne} calls:
 * 1. Feature mapping (the first `fmGracePeriod` vectors; `corClust.py`): the incremental correlation matrix of
 *    the features is accumulated — running sums c, residuals r_t = x_t − c/N (mean including x_t), their squares
 *    and outer products. At the end, the correlation distance D_ij = 1 − C_ij / √(Σr_i²·Σr_j²) (denominator 0
 *    read as 1e-100, negatives clipped to 0) is clustered by single-linkage agglomerative clustering (scipy's
 *    `linkage(method='single')`, reproduced step for step: Prim's minimum spanning tree from feature 0, edges
 *    stably sorted by distance, union-find labelling), and the dendrogram is cut top-down until every cluster
 *    has at most m features (`__breakClust__`). Every feature lands in exactly one cluster.
 * 2. Anomaly-detector training (the next `adGracePeriod` vectors): each cluster's features feed one autoencoder
 *    of the ensemble layer; the vector of their reconstruction RMSEs feeds the output autoencoder. Each
 *    autoencoder (`dA.py`, after Sugomori's denoising autoencoder without corruption) has v inputs,
 *    h = ⌈v·hiddenRatio⌉ sigmoid hidden units and tied weights (decoder = Wᵀ); inputs are scaled to [0, 1] by
 *    the running min and max seen in training, (x − min)/(max − min + 1e-16); one SGD step per vector on the
 *    cross-entropy gradient with learning rate lr:
 *      y = σ(xW + b_h), z = σ(yWᵀ + b_v), e = x − z, g = (eW) ⊙ y ⊙ (1 − y),
 *      W += lr·(xᵀg + eᵀy), b_h += lr·g, b_v += lr·e.
 *    (`dA.py` adds the mean of g and of e to every bias — numpy's `mean(axis=0)` of a vector; we use the
 *    per-unit gradient.) Training RMSEs are computed before the step, as `dA.train` returns them.
 * 3. Execution: the score is the output autoencoder's RMSE √(mean(e²)) over the ensemble's RMSEs; higher is
 *    more anomalous. Scores are unbounded (≥ 0); threshold them with lognormal-threshold.ts.
 *
 * Defaults: m = 10, hiddenRatio 0.75, lr 0.1 (KitNET.py); grace periods FM 5,000 and AD 50,000 (the values of
 * Kitsune-py's `example.py`). A feature map may be given instead of learned (then the FM phase is skipped).
 * KitNET.py learns FM + AD + 1 vectors before executing; here warm-up is exactly FM + AD.
 *
 * Not a `StreamingDetector` (streaming.ts): that contract scores in [0, 1] and returns 0 when cold; KitNET's score is an
 * RMSE and {@link KitNET.scoreOne} throws `IPQ-M008` before warm-up, so nobody acts on an untrained score.
 *
 * Inputs: NaN and ±Infinity are read as 0 (AfterImage never produces them).
 *
 * Memory: the feature mapper holds an n×n matrix (n²·8 bytes: 80 kB for Kitsune's 100 features) until the map is
 * built and is then released; each layer's weights, biases, min/max and scratch vectors live in a few flat
 * Float64Arrays allocated once when the map exists (≈ n·(h + 9)·8 bytes). Cost: `learnOne` O(n²) while mapping,
 * then O(Σ v·h) like `scoreOne`; neither allocates after the map is built. σ is evaluated from a table (see
 * `sigmoid`), its error below 1.3e-12. Measured on the benchmark machine (shared, loaded) for AfterImage's 100
 * features (13 autoencoders): ≈ 4–5.7 µs of CPU per `scoreOne`, ≈ 12–14 µs per `learnOne`. Deterministic for a seed.
 */
import { IpqsecError } from '../core/errors.js';
import { createRng, type Rng } from '../core/rng.js';

/** Hyper-parameters of {@link KitNET}. */
export interface KitNetOptions {
  /** Largest number of features per ensemble autoencoder, m (integer ≥ 1). Default 10. */
  readonly maxAutoencoderSize?: number;
  /** Vectors used to learn the feature map (integer ≥ 1; ignored, as 0, when `featureMap` is given). Default 5,000. */
  readonly fmGracePeriod?: number;
  /** Vectors used to train the autoencoders before scoring (integer ≥ 1). Default 50,000. */
  readonly adGracePeriod?: number;
  /** SGD learning rate (finite, > 0). Default 0.1. */
  readonly learningRate?: number;
  /** Hidden units per visible unit (finite, > 0); h = ⌈v·ratio⌉. Default 0.75. */
  readonly hiddenRatio?: number;
  /** Seed of the initial weights (integer). Default 1234 (dA.py's RandomState seed). */
  readonly seed?: number;
  /** A feature map to use instead of learning one: clusters of feature indices, each non-empty, each index in [0, n) once. */
  readonly featureMap?: readonly (readonly number[])[];
}

/** Defaults of {@link KitNetOptions} (KitNET.py and Kitsune-py's example.py). */
export const KITNET_DEFAULTS = Object.freeze({
  maxAutoencoderSize: 10,
  fmGracePeriod: 5_000,
  adGracePeriod: 50_000,
  learningRate: 0.1,
  hiddenRatio: 0.75,
  seed: 1234,
});

/** Normalisation guard of dA.py: (x − min) / (max − min + 1e-16). */
const NORM_EPS = 1e-16;
/** Stand-in for a zero denominator in the correlation distance (corClust.py). */
const CORR_TINY = 1e-100;

// The logistic σ(a) = 1/(1 + e^(−a)) by cubic Hermite interpolation of a table on [−16, 16] (4096 steps of 1/128;
// node slopes σ' = σ(1 − σ) exact): absolute error < 1.3e-12, exact formula outside the table. Measured twice as
// fast as 1/(1 + Math.exp(−a)) on the benchmark machine, and σ is most of KitNET's per-packet cost (≈ 250 calls).
/** Most vectors {@link KitNET.scoreBatch} scores in one call. */
export const SCORE_BATCH = 64;

const SIG_LO = -16;
const SIG_STEPS = 4096;
const SIG_H = 32 / SIG_STEPS;
const SIG_INV_H = SIG_STEPS / 32;
const SIG_TABLE = Float64Array.from({ length: SIG_STEPS + 1 }, (_, i) => 1 / (1 + Math.exp(-(SIG_LO + i * SIG_H))));

function sigmoid(a: number): number {
  const u = (a - SIG_LO) * SIG_INV_H;
  if (!(u >= 0 && u < SIG_STEPS)) return 1 / (1 + Math.exp(-a));
  const i = u | 0;
  const t = u - i;
  const y0 = SIG_TABLE[i];
  const y1 = SIG_TABLE[i + 1];
  const m0 = SIG_H * y0 * (1 - y0);
  const m1 = SIG_H * y1 * (1 - y1);
  const d = y1 - y0;
  return y0 + t * (m0 + t * (3 * d - 2 * m0 - m1 + t * (m0 + m1 - 2 * d)));
}

/**
 * A layer of tied-weight sigmoid autoencoders with running min/max scaling (dA.py), stored flat: autoencoder a
 * reads inputs x[idx[p]] for p in [vOff[a], vOff[a+1]) and has hidden units [hOff[a], hOff[a+1]) and weights
 * W[wOff[a] + i·h + j] (row-major v × h). Every array is allocated here, once.
 */
class AutoencoderLayer {
  readonly count: number;
  private readonly lr: number;
  private readonly idx: Int32Array;
  private readonly vOff: Int32Array;
  private readonly hOff: Int32Array;
  private readonly wOff: Int32Array;
  private readonly W: Float64Array;
  private readonly bh: Float64Array;
  private readonly bv: Float64Array;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  /** 1 / (max − min + 1e-16), kept with min/max so that scaling multiplies. */
  private readonly scale: Float64Array;
  private readonly xn: Float64Array;
  private readonly e: Float64Array;
  private readonly y: Float64Array;
  private readonly g: Float64Array;
  // Batch buffers of executeBatch (feature-major, SCORE_BATCH columns): one autoencoder's scaled inputs and
  // hidden units, the running sums, the squared errors.
  private readonly xnB: Float64Array;
  private readonly yB: Float64Array;
  private readonly accB = new Float64Array(SCORE_BATCH);
  private readonly seB = new Float64Array(SCORE_BATCH);

  constructor(clusters: readonly (readonly number[])[], hiddenRatio: number, lr: number, rng: Rng) {
    const K = clusters.length;
    this.count = K;
    this.lr = lr;
    this.vOff = new Int32Array(K + 1);
    this.hOff = new Int32Array(K + 1);
    this.wOff = new Int32Array(K + 1);
    for (let a = 0; a < K; a++) {
      const v = clusters[a].length;
      const h = Math.max(1, Math.ceil(v * hiddenRatio)); // dA.py: n_hidden = ceil(n_visible · hiddenRatio)
      this.vOff[a + 1] = this.vOff[a] + v;
      this.hOff[a + 1] = this.hOff[a] + h;
      this.wOff[a + 1] = this.wOff[a] + v * h;
    }
    const V = this.vOff[K];
    const Hn = this.hOff[K];
    this.idx = Int32Array.from(clusters.flat());
    this.W = new Float64Array(this.wOff[K]);
    for (let a = 0; a < K; a++) {
      const lim = 1 / (this.vOff[a + 1] - this.vOff[a]); // dA.py: W ~ U(−1/v, 1/v)
      for (let k = this.wOff[a]; k < this.wOff[a + 1]; k++) this.W[k] = (rng.next() * 2 - 1) * lim;
    }
    this.bh = new Float64Array(Hn);
    this.bv = new Float64Array(V);
    this.min = new Float64Array(V).fill(Number.POSITIVE_INFINITY);
    this.max = new Float64Array(V).fill(Number.NEGATIVE_INFINITY);
    this.scale = new Float64Array(V);
    this.xn = new Float64Array(V);
    this.e = new Float64Array(V);
    this.y = new Float64Array(Hn);
    this.g = new Float64Array(Hn);
    let maxV = 1;
    let maxH = 1;
    for (let a = 0; a < K; a++) {
      maxV = Math.max(maxV, this.vOff[a + 1] - this.vOff[a]);
      maxH = Math.max(maxH, this.hOff[a + 1] - this.hOff[a]);
    }
    this.xnB = new Float64Array(maxV * SCORE_BATCH);
    this.yB = new Float64Array(maxH * SCORE_BATCH);
  }

  /**
   * Scales autoencoder a's inputs by the current min/max, reconstructs them, leaves the scaled input in xn and
   * the error in e; writes the RMSE to out[a] (not returned: V8 boxes a double returned from a call it does not
   * inline, one heap number per autoencoder and packet).
   */
  private forward(a: number, x: Float64Array, out: Float64Array): void {
    const { idx, W, xn, e, y, min, scale } = this;
    const v0 = this.vOff[a];
    const v1 = this.vOff[a + 1];
    const h0 = this.hOff[a];
    const h1 = this.hOff[a + 1];
    const h = h1 - h0;
    for (let p = v0; p < v1; p++) xn[p] = (x[idx[p]] - min[p]) * scale[p];
    // Encode one hidden unit at a time, the sum in a register (a column of W, stride h: an autoencoder's whole W
    // is ≤ 10 × 8 doubles, in L1), instead of a load and a store of y[j] per multiply-add.
    const base = this.wOff[a] - h0;
    for (let j = h0; j < h1; j++) {
      let s = this.bh[j];
      for (let p = v0, k = base + j; p < v1; p++, k += h) s += xn[p] * W[k];
      y[j] = sigmoid(s);
    }
    // Decode with the tied weights Wᵀ.
    let se = 0;
    for (let p = v0, row = this.wOff[a] - h0; p < v1; p++, row += h) {
      let s = this.bv[p];
      for (let j = h0; j < h1; j++) s += y[j] * W[row + j];
      const d = xn[p] - sigmoid(s);
      e[p] = d;
      se += d * d;
    }
    out[a] = Math.sqrt(se / (v1 - v0));
  }

  /**
   * RMSE of every autoencoder on input x into out[0..count), no learning. The same arithmetic as {@link forward}
   * in one loop over the autoencoders with the fields read once (scoreOne of a 100-feature, 31-autoencoder map:
   * 8.5 → 8.1 µs, medians of alternated runs; the ensemble's ~180 sigmoids and the output layer's ~1,500
   * multiply-adds are the rest).
   */
  execute(x: Float64Array, out: Float64Array): void {
    const { idx, W, xn, y, min, scale, bh, bv, vOff, hOff, wOff } = this;
    for (let a = 0; a < this.count; a++) {
      const v0 = vOff[a];
      const v1 = vOff[a + 1];
      const h0 = hOff[a];
      const h1 = hOff[a + 1];
      const h = h1 - h0;
      for (let p = v0; p < v1; p++) xn[p] = (x[idx[p]] - min[p]) * scale[p];
      const base = wOff[a] - h0;
      for (let j = h0; j < h1; j++) {
        let s = bh[j];
        for (let p = v0, k = base + j; p < v1; p++, k += h) s += xn[p] * W[k];
        y[j] = sigmoid(s);
      }
      let se = 0;
      for (let p = v0, row = base; p < v1; p++, row += h) {
        let s = bv[p];
        for (let j = h0; j < h1; j++) s += y[j] * W[row + j];
        const d = xn[p] - sigmoid(s);
        se += d * d;
      }
      out[a] = Math.sqrt(se / (v1 - v0));
    }
  }

  /**
   * {@link execute} for `n` ≤ {@link SCORE_BATCH} vectors at once, feature-major: input i of vector b is
   * `x[i · SCORE_BATCH + b]`, RMSE of autoencoder a for vector b goes to `out[a · SCORE_BATCH + b]`. The same
   * arithmetic per vector as `execute`; the innermost loops run over the batch, so each weight is loaded once per
   * batch instead of once per vector.
   */
  executeBatch(x: Float64Array, n: number, out: Float64Array): void {
    const { idx, W, min, scale, bh, bv, vOff, hOff, wOff } = this;
    const B = SCORE_BATCH;
    const xn = this.xnB;
    const yb = this.yB;
    const acc = this.accB;
    const se = this.seB;
    for (let a = 0; a < this.count; a++) {
      const v0 = vOff[a];
      const v1 = vOff[a + 1];
      const h0 = hOff[a];
      const h1 = hOff[a + 1];
      const h = h1 - h0;
      for (let p = v0; p < v1; p++) {
        const src = idx[p] * B;
        const dst = (p - v0) * B;
        const lo = min[p];
        const sc = scale[p];
        for (let b = 0; b < n; b++) xn[dst + b] = (x[src + b] - lo) * sc;
      }
      const base = wOff[a] - h0;
      for (let j = h0; j < h1; j++) {
        const bj = bh[j];
        for (let b = 0; b < n; b++) acc[b] = bj;
        for (let p = v0, k = base + j; p < v1; p++, k += h) {
          const w = W[k];
          const xo = (p - v0) * B;
          for (let b = 0; b < n; b++) acc[b] += xn[xo + b] * w;
        }
        const yo = (j - h0) * B;
        for (let b = 0; b < n; b++) yb[yo + b] = sigmoid(acc[b]);
      }
      for (let b = 0; b < n; b++) se[b] = 0;
      for (let p = v0, row = base; p < v1; p++, row += h) {
        const bp = bv[p];
        for (let b = 0; b < n; b++) acc[b] = bp;
        for (let j = h0; j < h1; j++) {
          const w = W[row + j];
          const yo = (j - h0) * B;
          for (let b = 0; b < n; b++) acc[b] += yb[yo + b] * w;
        }
        const xo = (p - v0) * B;
        for (let b = 0; b < n; b++) {
          const d = xn[xo + b] - sigmoid(acc[b]);
          se[b] += d * d;
        }
      }
      const inv = 1 / (v1 - v0);
      const oo = a * B;
      for (let b = 0; b < n; b++) out[oo + b] = Math.sqrt(se[b] * inv);
    }
  }

  /** Updates min/max with x, takes one SGD step per autoencoder; RMSEs before the step into out[0..count). */
  train(x: Float64Array, out: Float64Array): void {
    const { idx, W, xn, e, y, g, min, max, lr } = this;
    for (let p = 0; p < idx.length; p++) {
      const v = x[idx[p]];
      let changed = false;
      if (v > max[p]) {
        max[p] = v;
        changed = true;
      }
      if (v < min[p]) {
        min[p] = v;
        changed = true;
      }
      if (changed) this.scale[p] = 1 / (max[p] - min[p] + NORM_EPS);
    }
    for (let a = 0; a < this.count; a++) {
      this.forward(a, x, out);
      const v0 = this.vOff[a];
      const v1 = this.vOff[a + 1];
      const h0 = this.hOff[a];
      const h1 = this.hOff[a + 1];
      const h = h1 - h0;
      // g = (eW) ⊙ y ⊙ (1 − y), accumulated row by row.
      for (let j = h0; j < h1; j++) g[j] = 0;
      for (let p = v0, row = this.wOff[a] - h0; p < v1; p++, row += h) {
        const ep = e[p];
        for (let j = h0; j < h1; j++) g[j] += ep * W[row + j];
      }
      for (let j = h0; j < h1; j++) g[j] *= y[j] * (1 - y[j]);
      for (let p = v0, row = this.wOff[a] - h0; p < v1; p++, row += h) {
        const xp = lr * xn[p];
        const ep = lr * e[p];
        for (let j = h0; j < h1; j++) W[row + j] += xp * g[j] + ep * y[j];
        this.bv[p] += ep;
      }
      for (let j = h0; j < h1; j++) this.bh[j] += lr * g[j];
    }
  }
}

/**
 * The feature mapper's incremental statistics (corClust.py `update`): Σx, Σr², Σ r rᵀ (upper triangle), with
 * r = x − mean including x.
 */
class CorrelationClustering {
  private readonly n: number;
  private readonly c: Float64Array;
  private readonly crs: Float64Array;
  private readonly C: Float64Array;
  private readonly r: Float64Array;
  private count = 0;

  constructor(n: number) {
    this.n = n;
    this.c = new Float64Array(n);
    this.crs = new Float64Array(n);
    this.C = new Float64Array(n * n);
    this.r = new Float64Array(n);
  }

  update(x: Float64Array): void {
    const { n, c, crs, C, r } = this;
    this.count++;
    const N = this.count;
    for (let i = 0; i < n; i++) {
      c[i] += x[i];
      const ri = x[i] - c[i] / N;
      r[i] = ri;
      crs[i] += ri * ri;
    }
    for (let i = 0; i < n; i++) {
      const ri = r[i];
      const row = i * n;
      for (let j = i; j < n; j++) C[row + j] += ri * r[j];
    }
  }

  /** Correlation distance between features i < j (corClust.py `corrDist`). */
  private dist(i: number, j: number): number {
    let den = Math.sqrt(this.crs[i]) * Math.sqrt(this.crs[j]);
    if (den === 0) den = CORR_TINY;
    const d = 1 - this.C[i * this.n + j] / den;
    return d < 0 ? 0 : d;
  }

  /** Clusters of at most `maxSize` features covering 0..n−1 once each (corClust.py `cluster`). */
  cluster(maxSize: number): number[][] {
    const n = this.n;
    if (n === 1) return [[0]];
    const m = Math.min(Math.max(maxSize, 1), n);
    // scipy.cluster.hierarchy `mst_single_linkage`: Prim from node 0, recording (last added, nearest new, distance).
    const merged = new Uint8Array(n);
    const D = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    const ex = new Int32Array(n - 1);
    const ey = new Int32Array(n - 1);
    const ed = new Float64Array(n - 1);
    let x = 0;
    let y = 0;
    for (let k = 0; k < n - 1; k++) {
      let best = Number.POSITIVE_INFINITY;
      merged[x] = 1;
      for (let i = 0; i < n; i++) {
        if (merged[i] === 1) continue;
        const d = x < i ? this.dist(x, i) : this.dist(i, x);
        if (D[i] > d) D[i] = d;
        if (D[i] < best) {
          y = i;
          best = D[i];
        }
      }
      ex[k] = x;
      ey[k] = y;
      ed[k] = best;
      x = y;
    }
    // Stable sort of the edges by distance (scipy: argsort kind='mergesort').
    const order = Array.from({ length: n - 1 }, (_, k) => k).sort((a, b) => ed[a] - ed[b] || a - b);
    // scipy `label`: union-find; the new node n+k gets children (min(root x, root y), max(...)).
    const parent = new Int32Array(2 * n - 1).map((_, i) => i);
    const find = (a: number): number => {
      let root = a;
      while (parent[root] !== root) root = parent[root];
      while (parent[a] !== root) {
        const next = parent[a];
        parent[a] = root;
        a = next;
      }
      return root;
    };
    const left = new Int32Array(n - 1);
    const right = new Int32Array(n - 1);
    const size = new Int32Array(2 * n - 1).fill(1, 0, n);
    for (let k = 0; k < n - 1; k++) {
      const e = order[k];
      const rx = find(ex[e]);
      const ry = find(ey[e]);
      const node = n + k;
      left[k] = Math.min(rx, ry);
      right[k] = Math.max(rx, ry);
      parent[rx] = node;
      parent[ry] = node;
      size[node] = size[rx] + size[ry];
    }
    // Top-down cut (corClust.py `__breakClust__`): a node with ≤ m leaves is a cluster (its leaves in pre-order).
    const clusters: number[][] = [];
    const stack = [2 * n - 2];
    while (stack.length > 0) {
      const node = stack.pop() as number;
      if (size[node] <= m) {
        const leaves: number[] = [];
        const sub = [node];
        while (sub.length > 0) {
          const s = sub.pop() as number;
          if (s < n) leaves.push(s);
          else sub.push(right[s - n], left[s - n]);
        }
        clusters.push(leaves);
      } else {
        stack.push(right[node - n], left[node - n]);
      }
    }
    return clusters;
  }
}

function checkParam(ok: boolean, name: string, v: unknown, range: string): void {
  if (!ok) throw new IpqsecError('IPQ-M006', `KitNET ${name} = ${String(v)}, expected ${range}`);
}

/** KitNET; see the file comment for the algorithm, its sources and its costs. */
export class KitNET {
  /** Length of every input vector. */
  readonly nFeatures: number;
  /** m: largest number of features per ensemble autoencoder. */
  readonly maxAutoencoderSize: number;
  /** Vectors used for the feature map (0 when a map was given). */
  readonly fmGracePeriod: number;
  /** Vectors used to train the autoencoders after the map is built. */
  readonly adGracePeriod: number;
  /** fmGracePeriod + adGracePeriod: `learnOne` calls until {@link isWarm}. */
  readonly warmUp: number;
  private readonly lr: number;
  private readonly hiddenRatio: number;
  private readonly rng: Rng;
  private fm: CorrelationClustering | undefined;
  private map: number[][] | undefined;
  private ensemble: AutoencoderLayer | undefined;
  private output: AutoencoderLayer | undefined;
  /** The ensemble's RMSEs (the output layer's input) and the output's RMSE. */
  private scores = new Float64Array(0);
  private readonly final = new Float64Array(1);
  private readonly x: Float64Array;
  private learnedCount = 0;
  // scoreBatch buffers, made at the first call (feature-major, SCORE_BATCH columns).
  private xBatch: Float64Array | undefined;
  private scoresBatch: Float64Array | undefined;
  private finalBatch: Float64Array | undefined;

  /**
   * @param nFeatures length of every input vector (integer ≥ 1).
   * @throws RangeError when nFeatures is not a positive integer.
   * @throws IpqsecError `IPQ-M006` for an out-of-range option or an invalid feature map.
   */
  constructor(nFeatures: number, opts: KitNetOptions = {}) {
    if (!Number.isInteger(nFeatures) || nFeatures < 1) throw new RangeError(`KitNET: nFeatures must be an integer ≥ 1, got ${nFeatures}`);
    this.nFeatures = nFeatures;
    const m = opts.maxAutoencoderSize ?? KITNET_DEFAULTS.maxAutoencoderSize;
    checkParam(Number.isInteger(m) && m >= 1, 'maxAutoencoderSize', m, 'an integer ≥ 1');
    const ad = opts.adGracePeriod ?? KITNET_DEFAULTS.adGracePeriod;
    checkParam(Number.isInteger(ad) && ad >= 1, 'adGracePeriod', ad, 'an integer ≥ 1');
    const lr = opts.learningRate ?? KITNET_DEFAULTS.learningRate;
    checkParam(Number.isFinite(lr) && lr > 0, 'learningRate', lr, 'a finite number > 0');
    const hr = opts.hiddenRatio ?? KITNET_DEFAULTS.hiddenRatio;
    checkParam(Number.isFinite(hr) && hr > 0, 'hiddenRatio', hr, 'a finite number > 0');
    const seed = opts.seed ?? KITNET_DEFAULTS.seed;
    checkParam(Number.isInteger(seed), 'seed', seed, 'an integer');
    this.maxAutoencoderSize = m;
    this.adGracePeriod = ad;
    this.lr = lr;
    this.hiddenRatio = hr;
    this.rng = createRng(seed);
    this.x = new Float64Array(nFeatures);
    if (opts.featureMap !== undefined) {
      const seen = new Uint8Array(nFeatures);
      checkParam(opts.featureMap.length >= 1, 'featureMap', `${opts.featureMap.length} clusters`, 'at least one cluster');
      for (const cl of opts.featureMap) {
        checkParam(cl.length >= 1, 'featureMap', 'an empty cluster', 'non-empty clusters');
        for (const f of cl) {
          checkParam(Number.isInteger(f) && f >= 0 && f < nFeatures && seen[f] === 0, 'featureMap', `index ${f}`, `distinct integers in [0, ${nFeatures})`);
          seen[f] = 1;
        }
      }
      this.fmGracePeriod = 0;
      this.buildDetector(opts.featureMap.map((cl) => [...cl]));
    } else {
      const fm = opts.fmGracePeriod ?? KITNET_DEFAULTS.fmGracePeriod;
      checkParam(Number.isInteger(fm) && fm >= 1, 'fmGracePeriod', fm, 'an integer ≥ 1');
      this.fmGracePeriod = fm;
      this.fm = new CorrelationClustering(nFeatures);
    }
    this.warmUp = this.fmGracePeriod + ad;
  }

  /** True once `warmUp` vectors have been learned: scores are then meaningful. */
  isWarm(): boolean {
    return this.learnedCount >= this.warmUp;
  }

  /** Number of `learnOne` calls so far. */
  get learned(): number {
    return this.learnedCount;
  }

  /** A copy of the feature map (clusters of feature indices), or undefined while it is being learned. */
  get featureMap(): number[][] | undefined {
    return this.map?.map((cl) => [...cl]);
  }

  /**
   * Learns one vector: feeds the feature mapper during its grace period (building the map and the autoencoders
   * at its end), else trains every autoencoder one SGD step. Keeps training when called after warm-up.
   * @throws RangeError when `x.length !== nFeatures`.
   */
  learnOne(x: Float64Array): void {
    this.load(x, 'learnOne');
    if (this.fm !== undefined) {
      this.fm.update(this.x);
      this.learnedCount++;
      if (this.learnedCount === this.fmGracePeriod) {
        const map = this.fm.cluster(this.maxAutoencoderSize);
        this.fm = undefined;
        this.buildDetector(map);
      }
      return;
    }
    (this.ensemble as AutoencoderLayer).train(this.x, this.scores);
    (this.output as AutoencoderLayer).train(this.scores, this.final);
    this.learnedCount++;
  }

  /**
   * Anomaly score of one vector (the output autoencoder's RMSE, ≥ 0, higher = more anomalous); learns nothing.
   * @throws IpqsecError `IPQ-M008` before warm-up (fewer than `warmUp` vectors learned).
   * @throws RangeError when `x.length !== nFeatures`.
   */
  scoreOne(x: Float64Array): number {
    if (!this.isWarm()) {
      throw new IpqsecError('IPQ-M008', `KitNET has learned ${this.learnedCount} of the ${this.warmUp} vectors it needs before scoring`, {
        details: { learned: this.learnedCount, warmUp: this.warmUp },
      });
    }
    this.load(x, 'scoreOne');
    (this.ensemble as AutoencoderLayer).execute(this.x, this.scores);
    (this.output as AutoencoderLayer).execute(this.scores, this.final);
    return this.final[0];
  }

  /**
   * {@link scoreOne} for `n` ≤ {@link SCORE_BATCH} vectors: `xs` holds them row-major (`xs[b · nFeatures + i]`),
   * scores go to `out[0..n)`. Scoring learns nothing, so a batch gives exactly the scores of `n` calls of
   * `scoreOne` (a test checks it), at about half the cost per vector on the benchmark machine.
   * @throws IpqsecError IPQ-M008 before warm-up; RangeError when n is out of [0, SCORE_BATCH] or `xs`/`out` are short.
   */
  scoreBatch(xs: Float64Array, n: number, out: Float64Array): void {
    if (!this.isWarm()) {
      throw new IpqsecError('IPQ-M008', `KitNET has learned ${this.learnedCount} of the ${this.warmUp} vectors it needs before scoring`, {
        details: { learned: this.learnedCount, warmUp: this.warmUp },
      });
    }
    const f = this.nFeatures;
    if (!(Number.isInteger(n) && n >= 0 && n <= SCORE_BATCH)) throw new RangeError(`KitNET.scoreBatch: n must be an integer in [0, ${SCORE_BATCH}], got ${n}`);
    if (xs.length < n * f || out.length < n) throw new RangeError(`KitNET.scoreBatch: ${n} vectors need ${n * f} inputs and ${n} outputs`);
    const B = SCORE_BATCH;
    const xb = (this.xBatch ??= new Float64Array(f * B));
    for (let b = 0; b < n; b++) {
      const row = b * f;
      for (let i = 0; i < f; i++) {
        const v = xs[row + i];
        xb[i * B + b] = Number.isFinite(v) ? v : 0;
      }
    }
    const ens = this.ensemble as AutoencoderLayer;
    const sb = (this.scoresBatch ??= new Float64Array(ens.count * B));
    const fb = (this.finalBatch ??= new Float64Array(B));
    ens.executeBatch(xb, n, sb);
    (this.output as AutoencoderLayer).executeBatch(sb, n, fb);
    for (let b = 0; b < n; b++) out[b] = fb[b];
  }

  /**
   * Kitsune's `process`: learns `x` and returns 0 until warm, then scores it (without learning).
   * @throws RangeError when `x.length !== nFeatures`.
   */
  process(x: Float64Array): number {
    if (!this.isWarm()) {
      this.learnOne(x);
      return 0;
    }
    return this.scoreOne(x);
  }

  /** Copies x into the internal buffer, non-finite values as 0. */
  private load(x: Float64Array, what: string): void {
    if (x.length !== this.nFeatures) throw new RangeError(`KitNET.${what}: input has ${x.length} features, expected ${this.nFeatures}`);
    const b = this.x;
    for (let i = 0; i < b.length; i++) {
      const v = x[i];
      b[i] = Number.isFinite(v) ? v : 0;
    }
  }

  private buildDetector(map: number[][]): void {
    this.map = map;
    this.ensemble = new AutoencoderLayer(map, this.hiddenRatio, this.lr, this.rng);
    this.output = new AutoencoderLayer([Array.from({ length: map.length }, (_, a) => a)], this.hiddenRatio, this.lr, this.rng);
    this.scores = new Float64Array(map.length);
  }
}
