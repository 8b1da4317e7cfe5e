/**
 * Half-Space Trees: a streaming anomaly detector (Tan, Ting & Liu, "Fast Anomaly Detection for Streaming
 * Data", IJCAI 2011), as implemented by river's `anomaly.HalfSpaceTrees`.
 *
 * - Structure, built once from the seed and no data: each of `nTrees` trees is a complete binary tree of
 *   height h (2^(h+1) − 1 nodes). In the unit cube of normalised features, a node splits a feature drawn with
 *   probability proportional to the node's current width in that feature, at a point drawn uniformly from
 *   its range with 15 % padding on each side (river's `make_padded_tree`; the paper splits at the middle of a
 *   randomly perturbed work range).
 * - Mass profiles (paper §3): every node counts the observations of the current window that pass through it
 *   (`latest`, river's `l_mass`); every `windowSize` observations the latest profile becomes the `reference`
 *   (`r_mass`) and the latest restarts from 0.
 * - Score (river): for each tree, walk x's path adding r·2^depth for every node until the first node with
 *   r < 0.1·windowSize (the paper's size limit) or the leaf. The anomaly score is
 *   1 − total / (nTrees · windowSize · (2^(h+1) − 1)), in [0, 1], 1 = most anomalous.
 *
 * Feature ranges: given up-front (`limits`), or learnt from the first window: the first `windowSize`
 * observations are buffered, their finite min/max fix the normalisation, and they are then replayed as the
 * first (reference) window. Either way the detector is warm after `windowSize` observations. Values outside
 * the limits keep their side (they normalise beyond [0, 1]).
 *
 * Non-finite inputs: NaN reads as the middle of the feature's range; ±Infinity go to the extreme side.
 *
 * Memory, fixed at construction: nTrees · 2^(h+1) · 8 bytes of mass counters plus nTrees · 2^h · 12 bytes of
 * splits (≈ 23 MB for the defaults 25 × height 15), plus windowSize · nFeatures · 8 bytes while learning
 * limits. `learnOne` and `scoreOne` allocate nothing and cost O(nTrees · h + nFeatures).
 */
import { IpqsecError } from '../core/errors.js';
import { createRng, type Rng } from '../core/rng.js';
import { checkInput, type StreamingDetector } from './streaming.js';

/** Hyper-parameters of {@link HalfSpaceTrees}. */
export interface HalfSpaceTreesParams {
  /** Number of trees (integer ≥ 1). Default 25 (Tan et al. 2011, §4). */
  nTrees: number;
  /** Height h of each tree (integer in [1, 20]); a tree has 2^(h+1) − 1 nodes. Default 15 (ibid.). */
  height: number;
  /** Observations per window, also the warm-up length (integer ≥ 1). Default 250 (ibid.). */
  windowSize: number;
  /**
   * Range `[lower, upper]` of every feature, `lower < upper`, both finite. When absent the ranges are learnt
   * from the first window.
   */
  limits?: readonly (readonly [number, number])[];
  /** Seed of the tree structure (integer). Default 42. */
  seed: number;
}

/** Defaults of {@link HalfSpaceTreesParams} (the paper's settings; river defaults to 10 trees of height 8). */
export const HST_DEFAULTS: Readonly<Omit<HalfSpaceTreesParams, 'limits'>> = Object.freeze({ nTrees: 25, height: 15, windowSize: 250, seed: 42 });

/** Split padding: splits fall in the middle 70 % of a node's range (river's `padding=0.15`). */
const PADDING = 0.15;
/** Fraction of the window under which the score walk stops (Tan et al. 2011, §3: sizeLimit = 0.1·ψ). */
const SIZE_LIMIT_FRACTION = 0.1;
/** Upper bound on nTrees · nodes per tree, keeping a detector below ~150 MB. */
const MAX_TOTAL_NODES = 1 << 24;

/** A Half-Space Trees detector; see the file comment for the algorithm and its sources. */
export class HalfSpaceTrees implements StreamingDetector {
  readonly nFeatures: number;
  readonly warmUp: number;
  readonly nTrees: number;
  readonly height: number;
  readonly windowSize: number;
  private readonly nNodes: number;
  private readonly nInternal: number;
  private readonly splitFeature: Int32Array;
  private readonly splitValue: Float64Array;
  private latest: Uint32Array;
  private reference: Uint32Array;
  private readonly pow2: Float64Array;
  private readonly sizeLimit: number;
  private readonly maxScore: number;
  /** Normalisation u = (x − lower) · invRange, per feature. */
  private readonly lower: Float64Array;
  private readonly invRange: Float64Array;
  private readonly u: Float64Array;
  /** First-window buffer while the limits are being learnt; undefined once known. */
  private buffer: Float64Array | undefined;
  private counter = 0;
  private warm = false;

  /**
   * @param nFeatures length of every input (integer ≥ 1).
   * @throws RangeError when nFeatures is not a positive integer.
   * @throws IpqsecError `IPQ-M006` for out-of-range hyper-parameters or limits.
   */
  constructor(nFeatures: number, params: Partial<HalfSpaceTreesParams> = {}) {
    if (!Number.isInteger(nFeatures) || nFeatures < 1) throw new RangeError(`HalfSpaceTrees: nFeatures must be an integer ≥ 1, got ${nFeatures}`);
    const p = { ...HST_DEFAULTS, ...params };
    const bad = (name: string, v: unknown, range: string): never => {
      throw new IpqsecError('IPQ-M006', `half-space trees ${name} = ${String(v)}, expected ${range}`);
    };
    if (!Number.isInteger(p.nTrees) || p.nTrees < 1) bad('nTrees', p.nTrees, 'an integer ≥ 1');
    if (!Number.isInteger(p.height) || p.height < 1 || p.height > 20) bad('height', p.height, 'an integer in [1, 20]');
    if (!Number.isInteger(p.windowSize) || p.windowSize < 1) bad('windowSize', p.windowSize, 'an integer ≥ 1');
    if (!Number.isInteger(p.seed)) bad('seed', p.seed, 'an integer');
    this.nFeatures = nFeatures;
    this.nTrees = p.nTrees;
    this.height = p.height;
    this.windowSize = p.windowSize;
    this.warmUp = p.windowSize;
    this.nNodes = 2 ** (p.height + 1) - 1;
    this.nInternal = 2 ** p.height - 1;
    if (this.nTrees * this.nNodes > MAX_TOTAL_NODES) {
      bad('nTrees × nodes', this.nTrees * this.nNodes, `at most ${MAX_TOTAL_NODES} (lower nTrees or height)`);
    }
    this.splitFeature = new Int32Array(this.nTrees * this.nInternal);
    this.splitValue = new Float64Array(this.nTrees * this.nInternal);
    this.latest = new Uint32Array(this.nTrees * this.nNodes);
    this.reference = new Uint32Array(this.nTrees * this.nNodes);
    this.pow2 = Float64Array.from({ length: p.height + 1 }, (_, k) => 2 ** k);
    this.sizeLimit = SIZE_LIMIT_FRACTION * p.windowSize;
    this.maxScore = this.nTrees * p.windowSize * this.nNodes;
    this.lower = new Float64Array(nFeatures);
    this.invRange = new Float64Array(nFeatures).fill(1);
    this.u = new Float64Array(nFeatures);

    if (p.limits !== undefined) {
      if (p.limits.length !== nFeatures) bad('limits', `${p.limits.length} ranges`, `${nFeatures} ranges`);
      p.limits.forEach(([lo, hi], j) => {
        if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) bad(`limits[${j}]`, `[${lo}, ${hi}]`, 'finite lower < upper');
        this.lower[j] = lo;
        this.invRange[j] = 1 / (hi - lo);
      });
    } else {
      this.buffer = new Float64Array(p.windowSize * nFeatures);
    }
    this.buildTrees(createRng(p.seed));
  }

  isWarm(): boolean {
    return this.warm;
  }

  learnOne(x: Float64Array): void {
    checkInput(x, this.nFeatures, 'HalfSpaceTrees.learnOne');
    if (this.buffer !== undefined) {
      this.buffer.set(x, this.counter * this.nFeatures);
      if (++this.counter === this.windowSize) this.finishLimits();
      return;
    }
    this.normalise(x);
    this.addToLatest();
    if (++this.counter === this.windowSize) this.pivot();
  }

  scoreOne(x: Float64Array): number {
    checkInput(x, this.nFeatures, 'HalfSpaceTrees.scoreOne');
    if (!this.warm) return 0;
    this.normalise(x);
    const { u, splitFeature, splitValue, reference, pow2, sizeLimit, height, nNodes, nInternal } = this;
    let total = 0;
    for (let t = 0; t < this.nTrees; t++) {
      const base = t * nNodes;
      const sBase = t * nInternal;
      let node = 0;
      for (let depth = 0; ; depth++) {
        const mass = reference[base + node];
        total += mass * pow2[depth];
        if (mass < sizeLimit || depth === height) break;
        node = u[splitFeature[sBase + node]] < splitValue[sBase + node] ? 2 * node + 1 : 2 * node + 2;
      }
    }
    const s = 1 - total / this.maxScore;
    return s < 0 ? 0 : s > 1 ? 1 : s;
  }

  /** Grows every tree in the unit cube: BFS layout, children of node i at 2i + 1 and 2i + 2. */
  private buildTrees(rng: Rng): void {
    const d = this.nFeatures;
    const lo = new Float64Array(d);
    const hi = new Float64Array(d).fill(1);
    const grow = (base: number, node: number, depth: number): void => {
      if (depth === this.height) return;
      const q = pickFeature(rng, lo, hi);
      const a = lo[q];
      const b = hi[q];
      const at = a + PADDING * (b - a) + rng.next() * (1 - 2 * PADDING) * (b - a);
      this.splitFeature[base + node] = q;
      this.splitValue[base + node] = at;
      hi[q] = at;
      grow(base, 2 * node + 1, depth + 1);
      hi[q] = b;
      lo[q] = at;
      grow(base, 2 * node + 2, depth + 1);
      lo[q] = a;
    };
    for (let t = 0; t < this.nTrees; t++) grow(t * this.nInternal, 0, 0);
  }

  /** Normalises x into `u`; NaN becomes 0.5 (middle of the range). */
  private normalise(x: Float64Array): void {
    const { u, lower, invRange } = this;
    for (let j = 0; j < x.length; j++) {
      const v = x[j];
      u[j] = v === v ? (v - lower[j]) * invRange[j] : 0.5;
    }
  }

  /** Adds the normalised point in `u` to the latest mass of every node on its paths. */
  private addToLatest(): void {
    const { u, splitFeature, splitValue, latest, height, nNodes, nInternal } = this;
    for (let t = 0; t < this.nTrees; t++) {
      const base = t * nNodes;
      const sBase = t * nInternal;
      let node = 0;
      for (let depth = 0; ; depth++) {
        latest[base + node]++;
        if (depth === height) break;
        node = u[splitFeature[sBase + node]] < splitValue[sBase + node] ? 2 * node + 1 : 2 * node + 2;
      }
    }
  }

  /** End of a window: latest → reference, latest := 0 (paper §3; swap, then clear, to avoid a copy). */
  private pivot(): void {
    const t = this.reference;
    this.reference = this.latest;
    this.latest = t;
    this.latest.fill(0);
    this.counter = 0;
    this.warm = true;
  }

  /** Fixes the limits from the buffered first window (finite min/max) and replays it as the first window. */
  private finishLimits(): void {
    const buf = this.buffer!;
    const d = this.nFeatures;
    const w = this.windowSize;
    for (let j = 0; j < d; j++) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = 0; i < w; i++) {
        const v = buf[i * d + j];
        if (v - v === 0) {
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
      }
      if (!(mn <= mx)) {
        mn = 0; // no finite value seen: identity-like range [0, 1]
        mx = 1;
      } else if (mn === mx) {
        mn -= 0.5; // constant feature: the constant sits in the middle of a unit range
        mx += 0.5;
      }
      this.lower[j] = mn;
      this.invRange[j] = 1 / (mx - mn);
    }
    this.buffer = undefined;
    for (let i = 0; i < w; i++) {
      this.normalise(buf.subarray(i * d, (i + 1) * d));
      this.addToLatest();
    }
    this.pivot();
  }
}

/**
 * A feature index drawn with probability proportional to hi − lo (river's weighting). A few rejection
 * draws first (exact for weights ≤ 1), then the exact cumulative draw: the mixture stays proportional.
 */
function pickFeature(rng: Rng, lo: Float64Array, hi: Float64Array): number {
  const d = lo.length;
  for (let attempt = 0; attempt < 8; attempt++) {
    const q = rng.int(d);
    if (rng.next() < hi[q] - lo[q]) return q;
  }
  let total = 0;
  for (let j = 0; j < d; j++) total += hi[j] - lo[j];
  let r = rng.next() * total;
  for (let j = 0; j < d; j++) {
    r -= hi[j] - lo[j];
    if (r < 0) return j;
  }
  return d - 1;
}
