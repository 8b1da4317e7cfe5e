/**
 * Growing one random-forest tree on binned data, and the `worker_threads` entry that does it off the main
 * thread (used by `forest.ts` when run from compiled JavaScript).
 *
 * Trees follow Breiman, "Random forests", Machine Learning 45 (2001): a bootstrap sample per tree (drawn as
 * integer row weights, so out-of-bag rows are those with weight 0), `maxFeatures` features drawn per node,
 * Gini impurity decrease (CART, Breiman et al. 1984) found on class-count histograms of the binned features.
 * Tree `i` draws everything from `createRng(treeSeed(seed, i))`, so a forest does not depend on which thread
 * grew which tree.
 *
 * As a worker (`workerData.kind === 'ipqsec-forest'`) it reads the bins, labels and weights from
 * SharedArrayBuffers, receives `{ index }` messages and answers `{ index, tree, gains }`, the tree's arrays
 * transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createRng } from '../core/rng.js';
import type { Rng } from '../core/rng.js';
import { binThreshold, BIN_SLOTS, MISSING_BIN } from './binning.js';
import type { BinMapper } from './binning.js';
import { buildClassHist, newCandidate, nodeScore, partitionRows, scanFeature, splitLut } from './histogram.js';
import type { SplitConstraints } from './histogram.js';
import { EnsembleBuilder } from './tree.js';
import type { TreeEnsemble } from './tree.js';

/** Resolved per-tree settings. */
export interface ForestTreeSettings {
  readonly nClasses: number;
  /** 0 = unlimited. */
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  readonly minSamplesSplit: number;
  /** Features tried per node (non-constant ones; more are drawn while the drawn ones are constant). */
  readonly maxFeatures: number;
  readonly bootstrap: boolean;
  readonly seed: number;
}

/** Training data of the trees: column-major bins (`bins[f · nRows + r]`), labels, optional row weights. */
export interface ForestData {
  readonly bins: Uint8Array;
  readonly nRows: number;
  readonly mapper: BinMapper;
  readonly y: Int32Array;
  readonly sampleWeight: Float64Array | undefined;
}

/** One grown tree and its Gini decrease per feature. */
export interface GrownTree {
  readonly tree: TreeEnsemble;
  readonly gains: Float64Array;
}

/** Seed of tree `i` of a forest seeded `seed` (distinct for i < 2^16; mixed further by createRng). */
export function treeSeed(seed: number, i: number): number {
  return (seed >>> 0) * 0x10000 + i;
}

/** Bootstrap sample as counts: `n` draws with replacement from `0 .. n−1` (the first `n` draws of `rng`). */
export function bootstrapCounts(n: number, rng: Rng, out: Int32Array): void {
  out.fill(0, 0, n);
  for (let j = 0; j < n; j++) out[rng.int(n)]++;
}

interface Frame {
  start: number;
  end: number;
  depth: number;
  parent: number;
  isLeft: boolean;
  totals: Float64Array;
}

/** Reusable buffers for growing trees of one forest (one per thread). */
export class ForestTreeGrower {
  private readonly rows: Int32Array;
  private readonly tmp: Int32Array;
  private readonly weight: Float64Array;
  private readonly counts: Int32Array;
  private readonly block: Float64Array;
  private readonly lut = new Uint8Array(BIN_SLOTS);
  private readonly features: Int32Array;
  private readonly cons: SplitConstraints;

  constructor(
    private readonly d: ForestData,
    private readonly s: ForestTreeSettings,
  ) {
    const n = d.nRows;
    this.rows = new Int32Array(n);
    this.tmp = new Int32Array(n);
    this.weight = new Float64Array(n);
    this.counts = new Int32Array(n);
    this.block = new Float64Array(BIN_SLOTS * (s.nClasses + 1));
    const feats: number[] = [];
    for (let f = 0; f < d.mapper.nFeatures; f++) feats.push(f);
    this.features = Int32Array.from(feats);
    this.cons = { criterion: 'gini', stride: s.nClasses + 1, lambda: 0, minSamplesLeaf: s.minSamplesLeaf, minChildWeight: 0 };
  }

  /** Grows tree `index`. Cost O(in-bag rows · depth · features tried per node). */
  grow(index: number): GrownTree {
    const { d, s } = this;
    const K = s.nClasses;
    const S = K + 1;
    const n = d.nRows;
    const rng = createRng(treeSeed(s.seed, index));
    // Reset the feature order so a tree depends only on its own seed, not on trees grown before it here.
    for (let f = 0; f < this.features.length; f++) this.features[f] = f;
    if (s.bootstrap) bootstrapCounts(n, rng, this.counts);
    else this.counts.fill(1);
    const { rows, weight, y } = { rows: this.rows, weight: this.weight, y: d.y };
    const sw = d.sampleWeight;
    let m = 0;
    const rootTot = new Float64Array(S);
    for (let i = 0; i < n; i++) {
      const c = this.counts[i];
      if (c === 0) continue;
      rows[m++] = i;
      const w = sw === undefined ? c : c * sw[i];
      weight[i] = w;
      rootTot[y[i]] += w;
      rootTot[K]++;
    }
    const b = new EnsembleBuilder(K);
    const gains = new Float64Array(d.mapper.nFeatures);
    const best = newCandidate(S);
    const leafVals = new Float64Array(K);
    const stack: Frame[] = [{ start: 0, end: m, depth: 0, parent: -1, isLeft: false, totals: rootTot }];
    let root = 0;
    const nF = this.features.length;
    while (stack.length > 0) {
      const fr = stack.pop() as Frame;
      const tot = fr.totals;
      const cnt = fr.end - fr.start;
      let W = 0;
      let nonzero = 0;
      for (let k = 0; k < K; k++) {
        W += tot[k];
        if (tot[k] > 0) nonzero++;
      }
      best.gain = Number.NEGATIVE_INFINITY;
      const splittable =
        cnt >= s.minSamplesSplit && cnt >= 2 * s.minSamplesLeaf && nonzero > 1 && (s.maxDepth === 0 || fr.depth < s.maxDepth);
      if (splittable) {
        const parentScore = nodeScore(tot, 0, this.cons);
        let tried = 0;
        // Draw features without replacement (partial Fisher–Yates) until maxFeatures non-constant ones are tried.
        for (let j = 0; j < nF && tried < s.maxFeatures; j++) {
          const r = j + rng.int(nF - j);
          const f = this.features[r];
          this.features[r] = this.features[j];
          this.features[j] = f;
          buildClassHist(this.block, d.bins, n, f, rows, fr.start, fr.end, y, weight, K);
          let used = 0;
          for (let o = K; o < BIN_SLOTS * S; o += S) if (this.block[o] > 0) used++;
          if (used < 2) continue;
          tried++;
          scanFeature(this.block, 0, d.mapper.nBins[f], MISSING_BIN, f, tot, parentScore, this.cons, best);
        }
      }
      let code: number;
      if (best.gain > 1e-12 * W) {
        code = b.addNode(best.feature, binThreshold(d.mapper, best.feature, best.bin), best.missingLeft);
        gains[best.feature] += best.gain;
        splitLut(this.lut, best.bin, best.missingLeft);
        const mid = partitionRows(rows, this.tmp, fr.start, fr.end, d.bins, best.feature * n, this.lut);
        const lt = best.left.slice();
        const rt = new Float64Array(S);
        for (let j = 0; j < S; j++) rt[j] = tot[j] - lt[j];
        rt[K] = fr.end - mid;
        lt[K] = mid - fr.start;
        stack.push({ start: mid, end: fr.end, depth: fr.depth + 1, parent: code, isLeft: false, totals: rt });
        stack.push({ start: fr.start, end: mid, depth: fr.depth + 1, parent: code, isLeft: true, totals: lt });
      } else {
        for (let k = 0; k < K; k++) leafVals[k] = W > 0 ? tot[k] / W : 1 / K;
        code = b.addLeaf(leafVals);
      }
      if (fr.parent < 0) root = code;
      else b.setChild(fr.parent, fr.isLeft, code);
    }
    b.finishTree(root);
    return { tree: b.build(), gains };
  }
}

/** Message from the main thread: grow tree `index`. */
export interface ForestJob {
  readonly index: number;
}

/** Worker setup passed as `workerData`. */
export interface ForestWorkerData {
  readonly kind: 'ipqsec-forest';
  readonly bins: SharedArrayBuffer;
  readonly y: SharedArrayBuffer;
  readonly sampleWeight: SharedArrayBuffer | undefined;
  readonly nRows: number;
  readonly mapper: BinMapper;
  readonly settings: ForestTreeSettings;
}

const wd = workerData as ForestWorkerData | null | undefined;
if (parentPort !== null && wd !== null && typeof wd === 'object' && wd.kind === 'ipqsec-forest') {
  const port = parentPort;
  const grower = new ForestTreeGrower(
    {
      bins: new Uint8Array(wd.bins),
      nRows: wd.nRows,
      mapper: wd.mapper,
      y: new Int32Array(wd.y),
      sampleWeight: wd.sampleWeight === undefined ? undefined : new Float64Array(wd.sampleWeight),
    },
    wd.settings,
  );
  port.on('message', (job: ForestJob) => {
    const { tree, gains } = grower.grow(job.index);
    const transfer = [tree.roots, tree.leafStart, tree.feature, tree.threshold, tree.left, tree.right, tree.missingLeft, tree.leafValue, gains].map(
      (a) => a.buffer as ArrayBuffer,
    );
    port.postMessage({ index: job.index, tree, gains }, transfer);
  });
}
