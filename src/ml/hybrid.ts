/**
 * Hybrid misuse + anomaly detector: gradient-boosted trees learn the attacks seen in training, an isolation
 * forest fitted on normal rows only flags traffic unlike anything normal, and a row is an attack when either
 * says so.
 *
 * This is the classic hybrid intrusion-detection design (misuse detection combined with anomaly detection;
 * e.g. Depren et al., "An intelligent intrusion detection system for anomaly and misuse detection in computer
 * networks", Expert Systems with Applications 29 (2005); Kim, Lee & Kim, "A novel hybrid intrusion detection
 * method integrating anomaly detection with misuse detection", ESWA 41 (2014)). It matters where test traffic
 * holds attack types absent from training, as NSL-KDD's KDDTest+ does (17 of its attack types are not in
 * KDDTrain+).
 *
 * Scores: the isolation forest's anomaly score s (Liu et al. 2008) becomes an attack probability `a` through the
 * empirical distribution F of s on the normal training rows: `a = 0.5 + 0.5·(F − q)/(1 − q)` above the decision
 * quantile q, and 0 at or below it. The hybrid attack probability is `max(p_gbdt, a)`, so the prediction (≥ 0.5)
 * is "GBDT says attack OR s above the q-quantile of normal training scores", and below the threshold rows keep
 * the GBDT's ranking: an anomaly score below the threshold is no evidence of attack, and mixing it in only
 * reorders rows the supervised part has ranked (it lowered ROC-AUC without changing any prediction, see
 * docs/benchmarks.md). Binary target only.
 */
import { IpqsecError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { checkFeatures, type Classifier, type ModelArray, type SerializedModel } from './classifier.js';
import { deserializeGbdt, trainGbdt } from './gbdt.js';
import type { IsolationForestModel} from './iforest.js';
import { deserializeIsolationForest, trainIsolationForest } from './iforest.js';
import type { TrainOptions } from './train-options.js';

/** Hyper-parameters of {@link trainHybrid}. */
export interface HybridParams {
  /** Parameters of the gradient-boosted trees (see `GBDT_DEFAULTS`). */
  gbdt: Record<string, unknown>;
  /** Parameters of the isolation forest (see `IFOREST_DEFAULTS`); its `quantile` is set from {@link quantile}. */
  iforest: Record<string, unknown>;
  /** Quantile q in (0, 1) of normal training anomaly scores above which a row is called an attack. Default 0.95. */
  quantile: number;
  seed: number;
}

/** Defaults: each part at its own defaults, q = 0.95 (the threshold the peer isolation forest uses). */
export const HYBRID_DEFAULTS: Readonly<HybridParams> = Object.freeze({ gbdt: {}, iforest: {}, quantile: 0.95, seed: 42 });

/** Points of the stored empirical distribution of normal anomaly scores. */
const ECDF_POINTS = 513;

/** The q-grid quantiles of sorted scores: `ecdf[i]` is the score at probability i/(ECDF_POINTS−1). */
function quantileTable(sorted: Float64Array): Float64Array {
  const out = new Float64Array(ECDF_POINTS);
  const n = sorted.length;
  for (let i = 0; i < ECDF_POINTS; i++) {
    const pos = (i / (ECDF_POINTS - 1)) * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    out[i] = sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }
  return out;
}

/** F(s) from a quantile table by binary search and linear interpolation; 0 below, 1 above the range. */
function ecdf(table: Float64Array, s: number): number {
  const m = table.length - 1;
  if (!(s > table[0])) return 0;
  if (s >= table[m]) return 1;
  let lo = 0;
  let hi = m;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (table[mid] <= s) lo = mid;
    else hi = mid;
  }
  const span = table[hi] - table[lo];
  const frac = span > 0 ? (s - table[lo]) / span : 0;
  return (lo + frac) / m;
}

/** A fitted hybrid detector. */
export class HybridModel implements Classifier {
  readonly kind = 'hybrid' as const;
  readonly nClasses = 2;
  private scratch = new Float64Array(0);

  constructor(
    readonly nFeatures: number,
    readonly gbdt: Classifier,
    readonly iforest: IsolationForestModel,
    /** Quantile table of normal training anomaly scores ({@link ECDF_POINTS} points). */
    readonly table: Float64Array,
    readonly params: HybridParams,
  ) {}

  /** Attack probability of the anomaly part alone, per row (`a` in the file comment). */
  anomalyProbability(X: Matrix, out: Float64Array = new Float64Array(X.nRows)): Float64Array {
    const s = this.iforest.scoreSamples(X, out);
    const q = this.params.quantile;
    for (let i = 0; i < X.nRows; i++) {
      const F = ecdf(this.table, s[i]);
      out[i] = F <= q ? 0 : 0.5 + (0.5 * (F - q)) / (1 - q);
    }
    return out;
  }

  predictProba(X: Matrix, out?: Float64Array): Float64Array {
    checkFeatures(X, this.nFeatures, 'hybrid');
    const n = X.nRows;
    const p = out ?? new Float64Array(n * 2);
    this.gbdt.predictProba(X, p);
    if (this.scratch.length < n) this.scratch = new Float64Array(n);
    const a = this.anomalyProbability(X, this.scratch.subarray(0, n));
    for (let i = 0; i < n; i++) {
      const v = Math.max(p[2 * i + 1], a[i]);
      p[2 * i + 1] = v;
      p[2 * i] = 1 - v;
    }
    return p;
  }

  predict(X: Matrix, out?: Int32Array): Int32Array {
    const n = X.nRows;
    const proba = this.predictProba(X);
    const pred = out ?? new Int32Array(n);
    for (let i = 0; i < n; i++) pred[i] = proba[2 * i + 1] >= 0.5 ? 1 : 0;
    return pred;
  }

  /** The boosted trees' gain importance (the isolation forest has none). */
  featureImportance(): Float64Array | undefined {
    return this.gbdt.featureImportance();
  }

  serialize(): SerializedModel {
    const g = this.gbdt.serialize();
    const f = this.iforest.serialize();
    const arrays: Record<string, ModelArray> = { ecdf: this.table.slice() };
    for (const [k, v] of Object.entries(g.arrays)) arrays[`gbdt.${k}`] = v;
    for (const [k, v] of Object.entries(f.arrays)) arrays[`iforest.${k}`] = v;
    return {
      kind: 'hybrid',
      params: { ...this.params, nFeatures: this.nFeatures, gbdtParams: g.params, iforestParams: f.params },
      arrays,
    };
  }
}

function checkParams(params: Partial<HybridParams>): HybridParams {
  const p: HybridParams = { ...HYBRID_DEFAULTS, ...params };
  if (!(p.quantile > 0 && p.quantile < 1)) throw new IpqsecError('IPQ-M006', `hybrid quantile must be in (0, 1), got ${p.quantile}`);
  if (!Number.isInteger(p.seed)) throw new IpqsecError('IPQ-M006', `hybrid seed must be an integer, got ${p.seed}`);
  return p;
}

/**
 * Trains the boosted trees on every row and the isolation forest on the normal rows (y = 0).
 * Flat parameters `gbdt.<name>` / `iforest.<name>` (as `--param` gives them) are folded into the parts.
 * @throws IpqsecError IPQ-M007 for a multiclass target, IPQ-M006 for bad parameters, and those of the parts.
 */
export async function trainHybrid(
  X: Matrix,
  y: Int32Array,
  nClasses: number,
  params: Partial<HybridParams> & Record<string, unknown> = {},
  opts: TrainOptions = {},
): Promise<HybridModel> {
  if (nClasses !== 2) throw new IpqsecError('IPQ-M007', `the hybrid detector needs the binary target, got ${nClasses} classes`);
  const gbdtParams: Record<string, unknown> = { ...(params.gbdt ?? {}) };
  const iforestParams: Record<string, unknown> = { ...(params.iforest ?? {}) };
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (k.startsWith('gbdt.')) gbdtParams[k.slice(5)] = v;
    else if (k.startsWith('iforest.')) iforestParams[k.slice(8)] = v;
    else if (k !== 'gbdt' && k !== 'iforest') rest[k] = v;
  }
  const p = checkParams(rest as Partial<HybridParams>);
  p.gbdt = gbdtParams;
  p.iforest = iforestParams;
  const gbdt = await trainGbdt(X, y, 2, { seed: p.seed, ...gbdtParams }, opts);
  const iforest = (await trainIsolationForest(X, y, 2, { seed: p.seed, ...iforestParams, quantile: p.quantile }, { onProgress: opts.onProgress })) as IsolationForestModel;
  let nNormal = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 0) nNormal++;
  const scores = iforest.scoreSamples(X);
  const normal = new Float64Array(nNormal);
  for (let i = 0, k = 0; i < y.length; i++) if (y[i] === 0) normal[k++] = scores[i];
  normal.sort();
  return new HybridModel(X.nCols, gbdt, iforest, quantileTable(normal), p);
}

/**
 * Rebuilds a hybrid detector from {@link HybridModel.serialize} output.
 * @throws IpqsecError IPQ-M001 when parts are missing or inconsistent.
 */
export function deserializeHybrid(s: SerializedModel): HybridModel {
  if (s.kind !== 'hybrid') throw new IpqsecError('IPQ-M005', `expected a hybrid model, got "${s.kind}"`);
  const { nFeatures, gbdtParams, iforestParams, quantile, seed, gbdt, iforest } = s.params as Record<string, unknown>;
  const table = s.arrays.ecdf;
  if (typeof nFeatures !== 'number' || !(table instanceof Float64Array) || table.length !== ECDF_POINTS || typeof quantile !== 'number') {
    throw new IpqsecError('IPQ-M001', 'hybrid model lacks its parameters or score table');
  }
  const part = (prefix: string): Record<string, ModelArray> => {
    const out: Record<string, ModelArray> = {};
    for (const [k, v] of Object.entries(s.arrays)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    return out;
  };
  const g = deserializeGbdt({ kind: 'gbdt', params: (gbdtParams ?? {}) as Record<string, unknown>, arrays: part('gbdt.') });
  const f = deserializeIsolationForest({ kind: 'iforest', params: (iforestParams ?? {}) as Record<string, unknown>, arrays: part('iforest.') }) as IsolationForestModel;
  if (g.nFeatures !== nFeatures || f.nFeatures !== nFeatures) throw new IpqsecError('IPQ-M001', 'hybrid parts disagree on the feature count');
  return new HybridModel(nFeatures, g, f, table, {
    quantile,
    seed: Number(seed),
    gbdt: (gbdt ?? {}) as Record<string, unknown>,
    iforest: (iforest ?? {}) as Record<string, unknown>,
  });
}
