/**
 * Histograms of binned features and the best-split search over them, shared by the gradient-boosted trees
 * (`gbdt.ts`) and the random forest (`forest.ts`).
 *
 * A histogram holds, for each feature and each of its bin slots (value bins and a missing-value slot),
 * `stride` float64 channels: for gradient boosting `[Σg, Σh, count]` (Ke et al., "LightGBM", NeurIPS 2017, Alg. 1; Chen and
 * Guestrin, "XGBoost", KDD 2016, §3.2), for the forest `[Σw·[y=0], …, Σw·[y=K−1], count]` (Gini impurity,
 * Breiman et al., CART 1984). Slot `MISSING_BIN` collects the rows whose value is missing.
 *
 * Gradient histograms are built row-wise over a sparse row layout that skips each feature's most frequent bin
 * (LightGBM's "most freq bin" trick); the skipped bin is recovered as node total − Σ other bins. On NSL-KDD
 * this visits 10.5 of 41 features per row on average (a dense layout visits all 41).
 */
import { BIN_SLOTS, MISSING_BIN } from './binning.js';

/** Channels per bin slot of a gradient histogram: Σ gradient, Σ hessian, row count. */
export const GRAD_STRIDE = 3;

/**
 * Binned rows in compressed sparse row form without each feature's most frequent bin: the entries of row `r`
 * are `offsets[ptr[r] .. ptr[r+1]]`, each a histogram offset `slot · GRAD_STRIDE`.
 *
 * Gradient histograms are compact: feature `f` owns slots `slotStart[f] .. slotStart[f+1]`, its `nBins[f]`
 * value bins then one missing slot, so a histogram has `slotStart[F] · GRAD_STRIDE` values (56 KiB on
 * NSL-KDD instead of 246 KiB for 256 slots per feature: it stays in L2, and zeroing, mode recovery and
 * subtraction touch 4x less memory).
 */
export interface SparseRows {
  /** First slot of each feature (length F + 1); the missing slot of `f` is `slotStart[f + 1] − 1`. */
  readonly slotStart: Int32Array;
  readonly ptr: Int32Array;
  readonly offsets: Uint32Array;
  /** Most frequent bin per feature (the one left out). */
  readonly modeBin: Int32Array;
  /** Features that take part (more than one bin present in the training data). */
  readonly active: Uint8Array;
}

/**
 * Builds the sparse row layout from column-major bins (`bins[f · nRows + r]`).
 * `nBins[f]` is the number of value bins of feature `f`; features with one value bin and no missing value
 * are left out. Cost O(nRows · nFeatures); memory 4 bytes per kept entry.
 */
export function buildSparseRows(bins: Uint8Array, nRows: number, nBins: Int32Array): SparseRows {
  const nFeatures = nBins.length;
  const modeBin = new Int32Array(nFeatures);
  const active = new Uint8Array(nFeatures);
  const counts = new Int32Array(BIN_SLOTS);
  const ptr = new Int32Array(nRows + 1);
  const slotStart = new Int32Array(nFeatures + 1);
  for (let f = 0; f < nFeatures; f++) slotStart[f + 1] = slotStart[f] + nBins[f] + 1;
  for (let f = 0; f < nFeatures; f++) {
    counts.fill(0);
    const base = f * nRows;
    for (let r = 0; r < nRows; r++) counts[bins[base + r]]++;
    let mode = 0;
    let used = 0;
    for (let b = 0; b < BIN_SLOTS; b++) {
      if (counts[b] > 0) used++;
      if (counts[b] > counts[mode]) mode = b;
    }
    modeBin[f] = mode;
    active[f] = used > 1 ? 1 : 0;
    if (active[f] === 1) {
      for (let r = 0; r < nRows; r++) if (bins[base + r] !== mode) ptr[r + 1]++;
    }
  }
  for (let r = 0; r < nRows; r++) ptr[r + 1] += ptr[r];
  const offsets = new Uint32Array(ptr[nRows]);
  const fill = ptr.slice(0, nRows);
  for (let f = 0; f < nFeatures; f++) {
    if (active[f] === 0) continue;
    const base = f * nRows;
    const mode = modeBin[f];
    const fo = slotStart[f];
    const miss = slotStart[f + 1] - 1;
    for (let r = 0; r < nRows; r++) {
      const b = bins[base + r];
      if (b !== mode) offsets[fill[r]++] = (b === MISSING_BIN ? miss : fo + b) * GRAD_STRIDE;
    }
  }
  return { ptr, offsets, modeBin, active, slotStart };
}

/** Length of a gradient histogram over the layout of `sp`. */
export function gradHistLength(sp: SparseRows): number {
  return sp.slotStart[sp.slotStart.length - 1] * GRAD_STRIDE;
}

/**
 * Gradient histogram of the rows `rows[start .. end)` into `hist` (length ≥ {@link gradHistLength}, zeroed
 * here), and the node totals `[ΣG, ΣH, count]` into `totals`. `gh[2i]`, `gh[2i+1]` are row `i`'s gradient and
 * hessian (interleaved: one cache line per row). Hot loop: one pass over the rows' sparse entries.
 */
export function buildGradHist(
  hist: Float64Array,
  totals: Float64Array,
  sp: SparseRows,
  rows: Int32Array,
  start: number,
  end: number,
  gh: Float64Array,
): void {
  hist.fill(0, 0, gradHistLength(sp));
  const { ptr, offsets } = sp;
  let G = 0;
  let H = 0;
  for (let k = start; k < end; k++) {
    const i = rows[k];
    const g = gh[2 * i];
    const h = gh[2 * i + 1];
    G += g;
    H += h;
    const e1 = ptr[i + 1];
    for (let e = ptr[i]; e < e1; e++) {
      const o = offsets[e];
      hist[o] += g;
      hist[o + 1] += h;
      hist[o + 2] += 1;
    }
  }
  totals[0] = G;
  totals[1] = H;
  totals[2] = end - start;
  // Recover each active feature's most frequent bin: node total minus the other slots.
  const { modeBin, active, slotStart } = sp;
  for (let f = 0; f < active.length; f++) {
    if (active[f] === 0) continue;
    const base = slotStart[f] * GRAD_STRIDE;
    const oe = slotStart[f + 1] * GRAD_STRIDE;
    let sg = 0;
    let sh = 0;
    let sc = 0;
    for (let o = base; o < oe; o += GRAD_STRIDE) {
      sg += hist[o];
      sh += hist[o + 1];
      sc += hist[o + 2];
    }
    const m = modeBin[f] === MISSING_BIN ? oe - GRAD_STRIDE : base + modeBin[f] * GRAD_STRIDE;
    hist[m] = G - sg;
    hist[m + 1] = H - sh;
    hist[m + 2] = end - start - sc;
  }
}

/** `parent −= child`, element-wise over the first `n` values (histogram subtraction, LightGBM §2). */
export function subtractHist(parent: Float64Array, child: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) parent[i] -= child[i];
}

/**
 * Class-count histogram of one feature (`stride = nClasses + 1` channels per slot) over `rows[start .. end)`,
 * read from column-major bins. `block` (length ≥ BIN_SLOTS · stride) is zeroed here.
 */
export function buildClassHist(
  block: Float64Array,
  bins: Uint8Array,
  nRows: number,
  feature: number,
  rows: Int32Array,
  start: number,
  end: number,
  y: Int32Array,
  weight: Float64Array,
  nClasses: number,
): void {
  const stride = nClasses + 1;
  block.fill(0, 0, BIN_SLOTS * stride);
  const base = feature * nRows;
  for (let k = start; k < end; k++) {
    const i = rows[k];
    const o = bins[base + i] * stride;
    block[o + y[i]] += weight[i];
    block[o + nClasses] += 1;
  }
}

/** Split criterion: second-order gradient gain (boosting) or Gini impurity decrease (forest). */
export type Criterion = 'gradient' | 'gini';

/** Constraints of a split search. */
export interface SplitConstraints {
  readonly criterion: Criterion;
  /** Channels per bin slot: 3 for gradients, nClasses + 1 for Gini. */
  readonly stride: number;
  /** L2 regularisation λ of the leaf values (gradient criterion). */
  readonly lambda: number;
  /** Minimum rows per child. */
  readonly minSamplesLeaf: number;
  /** Minimum Σ hessian (gradient) or Σ weight (Gini) per child. */
  readonly minChildWeight: number;
}

/** The best split found so far; `gain` is −∞ until a valid split is seen. Channel sums of the left child in `left`. */
export interface SplitCandidate {
  gain: number;
  feature: number;
  /** Rows with bin ≤ `bin` go left. */
  bin: number;
  /** Whether rows with a missing value go left. */
  missingLeft: boolean;
  readonly left: Float64Array;
}

/** A fresh candidate with room for `stride` channels. */
export function newCandidate(stride: number): SplitCandidate {
  return { gain: Number.NEGATIVE_INFINITY, feature: -1, bin: -1, missingLeft: false, left: new Float64Array(stride) };
}

/** Score of one side: G²/(H+λ) (gradient) or Σ_k W_k² / W (Gini); splits maximise Σ children − parent. */
export function nodeScore(s: Float64Array, off: number, c: SplitConstraints): number {
  if (c.criterion === 'gradient') {
    const g = s[off];
    return (g * g) / (s[off + 1] + c.lambda);
  }
  const k = c.stride - 1;
  let w = 0;
  let q = 0;
  for (let j = 0; j < k; j++) {
    const v = s[off + j];
    w += v;
    q += v * v;
  }
  return w > 0 ? q / w : 0;
}

const accL = new Float64Array(64);
const accR = new Float64Array(64);
const accM = new Float64Array(64);

function sideOk(s: Float64Array, c: SplitConstraints): boolean {
  const n = c.stride - 1;
  if (s[n] < c.minSamplesLeaf) return false;
  let w: number;
  if (c.criterion === 'gradient') w = s[1];
  else {
    w = 0;
    for (let j = 0; j < n; j++) w += s[j];
    if (!(w > 0)) return false;
  }
  return w >= c.minChildWeight;
}

/**
 * Scans one feature's histogram block (`hist[blockOff ..]`: `nBins` value bins, and the missing values in
 * slot `missingSlot` of the block) for the
 * best threshold, both with missing values going right and (when the node has any) going left; updates
 * `best` when a split beats its gain. Without missing values in the node, missing values are sent to the
 * child with more rows. `totals` holds the node's channel sums, `parentScore` its {@link nodeScore}.
 * Cost O(nBins · stride). Ties keep the earlier candidate, so results are deterministic.
 */
export function scanFeature(
  hist: Float64Array,
  blockOff: number,
  nBins: number,
  missingSlot: number,
  feature: number,
  totals: Float64Array,
  parentScore: number,
  c: SplitConstraints,
  best: SplitCandidate,
): void {
  const S = c.stride;
  if (S > accL.length) throw new RangeError(`histogram stride ${S} exceeds ${accL.length}`);
  const mOff = blockOff + missingSlot * S;
  const cntIdx = S - 1;
  for (let j = 0; j < S; j++) accM[j] = hist[mOff + j];
  const hasMissing = accM[cntIdx] > 0;
  for (let pass = 0; pass < (hasMissing ? 2 : 1); pass++) {
    const missLeft = pass === 1;
    for (let j = 0; j < S; j++) accL[j] = missLeft ? accM[j] : 0;
    // Missing right: thresholds 0 .. nBins−1 (the last one splits non-missing from missing).
    // Missing left: thresholds 0 .. nBins−2.
    const lastT = hasMissing && !missLeft ? nBins - 1 : nBins - 2;
    for (let t = 0; t <= lastT; t++) {
      const o = blockOff + t * S;
      for (let j = 0; j < S; j++) accL[j] += hist[o + j];
      if (accL[cntIdx] < c.minSamplesLeaf) continue;
      for (let j = 0; j < S; j++) accR[j] = totals[j] - accL[j];
      if (accR[cntIdx] < c.minSamplesLeaf) break;
      if (!sideOk(accL, c) || !sideOk(accR, c)) continue;
      const gain = nodeScore(accL, 0, c) + nodeScore(accR, 0, c) - parentScore;
      if (gain > best.gain) {
        best.gain = gain;
        best.feature = feature;
        best.bin = t;
        best.missingLeft = hasMissing ? missLeft : accL[cntIdx] >= accR[cntIdx];
        for (let j = 0; j < S; j++) best.left[j] = accL[j];
      }
    }
  }
}

/**
 * {@link scanFeature} for the gradient criterion (stride {@link GRAD_STRIDE}), with the channel loops and
 * side checks written out: the same comparisons and arithmetic in the same order, so the same splits
 * (bit for bit); the generic scan's per-channel loops and accumulator arrays cost ~2/3 of its time.
 */
export function scanGradFeature(
  hist: Float64Array,
  blockOff: number,
  nBins: number,
  missingSlot: number,
  feature: number,
  totals: Float64Array,
  parentScore: number,
  c: SplitConstraints,
  best: SplitCandidate,
): void {
  const mOff = blockOff + missingSlot * GRAD_STRIDE;
  const mg = hist[mOff];
  const mh = hist[mOff + 1];
  const mc = hist[mOff + 2];
  const hasMissing = mc > 0;
  const TG = totals[0];
  const TH = totals[1];
  const TC = totals[2];
  const msl = c.minSamplesLeaf;
  const mcw = c.minChildWeight;
  const lambda = c.lambda;
  for (let pass = 0; pass < (hasMissing ? 2 : 1); pass++) {
    const missLeft = pass === 1;
    let lg = missLeft ? mg : 0;
    let lh = missLeft ? mh : 0;
    let lc = missLeft ? mc : 0;
    const lastT = hasMissing && !missLeft ? nBins - 1 : nBins - 2;
    for (let t = 0; t <= lastT; t++) {
      const o = blockOff + t * GRAD_STRIDE;
      lg += hist[o];
      lh += hist[o + 1];
      lc += hist[o + 2];
      if (lc < msl) continue;
      const rg = TG - lg;
      const rh = TH - lh;
      const rc = TC - lc;
      if (rc < msl) break;
      if (!(lh >= mcw) || !(rh >= mcw)) continue;
      const gain = (lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda) - parentScore;
      if (gain > best.gain) {
        best.gain = gain;
        best.feature = feature;
        best.bin = t;
        best.missingLeft = hasMissing ? missLeft : lc >= rc;
        best.left[0] = lg;
        best.left[1] = lh;
        best.left[2] = lc;
      }
    }
  }
}

/**
 * Stable in-place partition of `rows[start .. end)` by a split: rows whose bin `bins[base + row]` has
 * `goLeft[bin] = 1` first, in their original order, then the others (also in order, via `tmp`). Returns the
 * first right index. Branch-free: each row is written to both sides and one cursor advances.
 */
export function partitionRows(
  rows: Int32Array,
  tmp: Int32Array,
  start: number,
  end: number,
  bins: Uint8Array,
  base: number,
  goLeft: Uint8Array,
): number {
  let w = start;
  let r = 0;
  for (let k = start; k < end; k++) {
    const i = rows[k];
    const gl = goLeft[bins[base + i]];
    rows[w] = i;
    tmp[r] = i;
    w += gl;
    r += 1 - gl;
  }
  rows.set(tmp.subarray(0, r), w);
  return w;
}

/** Fills `lut` (256 entries) with the side of each bin for the split "bin ≤ t, missing left iff `missingLeft`". */
export function splitLut(lut: Uint8Array, t: number, missingLeft: boolean): void {
  for (let b = 0; b < BIN_SLOTS; b++) lut[b] = b === MISSING_BIN ? (missingLeft ? 1 : 0) : b <= t ? 1 : 0;
}
