/**
 * Damped incremental statistics: the building block of Kitsune's AfterImage (Mirsky, Doitshman, Elovici &
 * Shabtai, "Kitsune: An Ensemble of Autoencoders for Online Network Intrusion Detection", NDSS 2018, §IV-B and
 * Table I; reference code ymirsky/Kitsune-py `AfterImage.py`, classes `incStat` and `incStat_cov`).
 *
 * A damped statistic summarises a stream of values x_k arriving at times t_k with every value weighted by
 * 2^(−λ·(t_now − t_k)): the decay factor λ (1/s) sets the half-life 1/λ seconds. Kitsune keeps the weight w, the
 * linear sum LS and the squared sum SS, multiplies all three by d = 2^(−λ·Δt) when time advances by Δt and adds
 * (1, x, x²) for a new value. We keep the equivalent centred triple (w, mean, M2) instead, with
 *   LS = w·mean,   SS = M2 + w·mean²,   var = M2 / w   (= |SS/w − (LS/w)²| of `incStat.var`),
 * because it does not lose the variance to cancellation when the mean is large next to the spread (packet times
 * in epoch seconds, sizes near 1500 with a spread of a few bytes). The update is West's weighted incremental
 * algorithm (D. H. D. West, "Updating mean and variance estimates: an improved method", CACM 22(9), 1979):
 * decay multiplies w and M2 by d and leaves the mean unchanged; inserting x with weight 1 does
 *   w' = w + 1,  δ = x − mean,  mean' = mean + δ / w',  M2' = M2 + δ²·w / w'.
 * Two summaries of disjoint parts of a stream merge exactly (Chan, Golub & LeVeque, "Updating formulae and a
 * pairwise algorithm for computing sample variances", Stanford CS tech. report STAN-CS-79-773, 1979):
 *   w = wa + wb,  δ = mean_b − mean_a,  mean = mean_a + δ·wb/w,  M2 = M2a + M2b + δ²·wa·wb/w,
 * after both are decayed to the same time; that is what federated learning needs to combine sensors' statistics.
 *
 * 2D statistics between the two directions i and j of a channel or socket (Table I of the paper; `incStat_cov`):
 * - magnitude ‖Si, Sj‖ = √(mean_i² + mean_j²);
 * - radius R = √(var_i + var_j) (as `AfterImage.pyx`/`AfterImage_NDSS.py`; `AfterImage.py` squares the variances);
 * - approximate covariance Cov = SR_ij / (w_i + w_j), where SR_ij is the damped sum of residual products: when x
 *   arrives on direction i, its residual r_i = x − mean_i (mean after inserting x) is multiplied by the last
 *   residual r_j recorded on direction j (0 until j has a value) and added to SR_ij, which decays with λ since
 *   the pair's last update (`incStat_cov.update_cov` of `AfterImage_NDSS.py`; the last residual itself is not
 *   decayed there, nor here);
 * - correlation coefficient P = Cov / (σ_i·σ_j) (as `incStat_cov.pcc`), with two guards of ours: P is 0 unless
 *   both directions have a resolvable spread, var > 1e-12·mean² (Kitsune's own float64 raw sums cannot resolve
 *   less: its var = |SS/w − mean²| is rounding noise there, and so P is noise; `incStat_cov.pcc` only guards
 *   σ_i·σ_j = 0), and P is clamped to [−1, 1] (the approximate covariance can exceed σ_i·σ_j, and a
 *   correlation of 10^20 would wreck the detector's min/max scaling).
 *
 * Storage: a record is three consecutive float64 in a caller's `Float64Array` slab ({@link DAMPED_STRIDE}); the
 * functions here work in place and allocate nothing, which is what lets AfterImage keep millions of them in a
 * few typed arrays. {@link DampedStat} wraps one record with its time for use outside hot paths (tests, merging
 * for federated learning).
 *
 * Time: values with t ≤ the record's last time are inserted without decay and do not move the last time back
 * (as `incStat.processDecay`, which only decays for Δt > 0), so out-of-order packets never amplify a record.
 */

/** Kitsune's decay factors λ (1/s): half-lives 0.2 s, 0.33 s, 1 s, 10 s, 100 s (netStat.py default `Lambdas`). */
export const KITSUNE_LAMBDAS: readonly number[] = Object.freeze([5, 3, 1, 0.1, 0.01]);

/** Float64 slots per damped record: weight w, mean, M2 (sum of weighted squared deviations). */
export const DAMPED_STRIDE = 3;
/** Offset of the weight w in a record. */
export const DAMPED_W = 0;
/** Offset of the mean in a record. */
export const DAMPED_MEAN = 1;
/** Offset of M2 in a record (variance = M2 / w). */
export const DAMPED_M2 = 2;

/**
 * The decay factor 2^(−λ·Δt) for an elapsed time Δt in seconds; 1 when Δt ≤ 0 (no decay backwards in time).
 * Cost: one `Math.pow`.
 */
export function decayFactor(lambda: number, dt: number): number {
  return dt > 0 ? Math.pow(2, -lambda * dt) : 1;
}

/** Factors below this (2^−960) are taken as 0: a weight that small is nothing, and subnormal arithmetic is slow. */
const FACTOR_FLUSH = 2 ** -960;
/** Largest integer ratio λ/λ_base computed by multiplication in {@link DecayFactors}. */
const MAX_POWER = 16;

/**
 * The decay factors 2^(−λ·Δt) of a fixed set of λ for one Δt, with few `Math.exp` calls: a λ that is an integer
 * multiple k ≤ 16 of a smaller λ of the set gets that factor to the power k by square-and-multiply. Kitsune's set
 * (5, 3, 1, 0.1, 0.01) costs one exp (λ = 0.01) and 13 multiplications instead of five `Math.pow` (89 ns each on
 * the benchmark machine, 2 to 3 times an exp): AfterImage needs five such sets per packet. Chained powers cost
 * accuracy: ≈ 700 ulps (2e-13 relative) at λ = 5, far below anything the statistics resolve. Factors below
 * 2^−960 are returned as 0. Allocation-free after construction.
 */
export class DecayFactors {
  /** The decay factors λ (1/s), in the caller's order. */
  readonly lambdas: Float64Array;
  private readonly order: Int32Array;
  private readonly base: Int32Array;
  private readonly power: Int32Array;
  private readonly kLn2: Float64Array;

  /** @throws RangeError when a λ is not finite and > 0. */
  constructor(lambdas: readonly number[]) {
    if (lambdas.length < 1 || lambdas.some((l) => !(l > 0) || !Number.isFinite(l))) throw new RangeError(`DecayFactors: lambdas must be finite numbers > 0, got [${lambdas.join(', ')}]`);
    const L = lambdas.length;
    this.lambdas = Float64Array.from(lambdas);
    this.order = Int32Array.from(Array.from({ length: L }, (_, i) => i).sort((a, b) => lambdas[a] - lambdas[b] || a - b));
    this.base = new Int32Array(L).fill(-1);
    this.power = new Int32Array(L);
    this.kLn2 = Float64Array.from(lambdas, (l) => -l * Math.LN2);
    // For each λ (ascending), the largest smaller λ of which it is an integer multiple k ≤ MAX_POWER.
    for (let oi = 0; oi < L; oi++) {
      const l = this.order[oi];
      for (let ob = oi - 1; ob >= 0; ob--) {
        const b = this.order[ob];
        const k = Math.round(lambdas[l] / lambdas[b]);
        if (k >= 2 && k <= MAX_POWER && Math.abs(k * lambdas[b] - lambdas[l]) <= 1e-12 * lambdas[l]) {
          this.base[l] = b;
          this.power[l] = k;
          break;
        }
      }
    }
  }

  /** Writes 2^(−λ_l·dt) to out[l] for every λ (all 1 when dt ≤ 0). */
  compute(dt: number, out: Float64Array): void {
    const L = this.lambdas.length;
    if (!(dt > 0)) {
      for (let l = 0; l < L; l++) out[l] = 1;
      return;
    }
    for (let oi = 0; oi < L; oi++) {
      const l = this.order[oi];
      const b = this.base[l];
      let f: number;
      if (b < 0) {
        f = Math.exp(this.kLn2[l] * dt);
      } else {
        // Square-and-multiply: base^k.
        let x = out[b];
        let k = this.power[l];
        f = 1;
        while (k > 0) {
          if ((k & 1) === 1) f *= x;
          x *= x;
          k >>= 1;
        }
      }
      out[l] = f < FACTOR_FLUSH ? 0 : f;
    }
  }
}

/** Multiplies the record at `o` by the decay factor `d` ∈ [0, 1] (mean unchanged). */
export function dampedDecay(s: Float64Array, o: number, d: number): void {
  s[o + DAMPED_W] *= d;
  s[o + DAMPED_M2] *= d;
}

/**
 * Decays the record at `o` by `d`, then inserts `x` with weight 1 (West 1979). Returns the residual
 * x − mean after the insertion, the r of Kitsune's residual products. Allocates nothing.
 */
export function dampedInsert(s: Float64Array, o: number, d: number, x: number): number {
  const wOld = s[o + DAMPED_W] * d;
  const wNew = wOld + 1;
  const delta = x - s[o + DAMPED_MEAN];
  const mean = s[o + DAMPED_MEAN] + delta / wNew;
  s[o + DAMPED_W] = wNew;
  s[o + DAMPED_MEAN] = mean;
  // x − mean' = δ·wOld/wNew, so δ·(x − mean') = δ²·wOld/wNew: in this form M2 never decreases below its decayed
  // value, and the residual does not cancel when the old weight has decayed to almost nothing.
  const r = (delta * wOld) / wNew;
  s[o + DAMPED_M2] = s[o + DAMPED_M2] * d + delta * r;
  return r;
}

/** Variance M2 / w of the record at `o` (0 for an empty record). Unchanged by decay. */
export function dampedVariance(s: Float64Array, o: number): number {
  const w = s[o + DAMPED_W];
  return w > 0 ? s[o + DAMPED_M2] / w : 0;
}

/** Standard deviation √(M2 / w) of the record at `o` (0 for an empty record). */
export function dampedStd(s: Float64Array, o: number): number {
  return Math.sqrt(dampedVariance(s, o));
}

/**
 * Merges record `b` (decayed by `db`) into record `a` (decayed by `da`), both factors taking the records to the
 * same time: Chan, Golub & LeVeque (1979), eq. 2.1 with weights. Either record may be empty (w = 0).
 */
export function dampedMerge(a: Float64Array, ao: number, da: number, b: Float64Array, bo: number, db: number): void {
  const wa = a[ao + DAMPED_W] * da;
  const wb = b[bo + DAMPED_W] * db;
  const w = wa + wb;
  if (w <= 0) {
    a[ao + DAMPED_W] = 0;
    a[ao + DAMPED_MEAN] = 0;
    a[ao + DAMPED_M2] = 0;
    return;
  }
  const delta = b[bo + DAMPED_MEAN] - a[ao + DAMPED_MEAN];
  a[ao + DAMPED_MEAN] += (delta * wb) / w;
  a[ao + DAMPED_M2] = a[ao + DAMPED_M2] * da + b[bo + DAMPED_M2] * db + (delta * delta * wa * wb) / w;
  a[ao + DAMPED_W] = w;
}

/** Relative variance below which a direction has no resolvable spread for the correlation (see the file comment). */
export const VAR_RESOLUTION = 1e-12;

/**
 * Writes Kitsune's four 2D statistics of directions i and j to `out[k..k+3]`: radius √(var_i + var_j),
 * magnitude √(mean_i² + mean_j²), approximate covariance SR / (w_i + w_j) (0 when both weights are 0) and the
 * correlation coefficient Cov / (σ_i·σ_j), guarded as the file comment says (0 without resolvable spread,
 * clamped to [−1, 1]). `wj` is direction j's weight decayed to now; means
 * and variances do not change with decay. Order as `incStat_cov.get_stats2`.
 */
export function write2d(
  out: Float64Array,
  k: number,
  wi: number,
  meanI: number,
  varI: number,
  wj: number,
  meanJ: number,
  varJ: number,
  sr: number,
): void {
  out[k] = Math.sqrt(varI + varJ);
  out[k + 1] = Math.sqrt(meanI * meanI + meanJ * meanJ);
  const wSum = wi + wj;
  const cov = wSum > 0 ? sr / wSum : 0;
  out[k + 2] = cov;
  if (varI > VAR_RESOLUTION * meanI * meanI && varJ > VAR_RESOLUTION * meanJ * meanJ) {
    const p = cov / (Math.sqrt(varI) * Math.sqrt(varJ));
    out[k + 3] = p > 1 ? 1 : p < -1 ? -1 : p;
  } else {
    out[k + 3] = 0;
  }
}

/** A JSON-able snapshot of a {@link DampedStat} (what a federated round would ship). */
export interface DampedStatState {
  /** Decay factor λ in 1/s. */
  readonly lambda: number;
  /** Time of the last update in seconds (meaningful when `w > 0` or `updates > 0`). */
  readonly lastT: number;
  /** Number of values inserted since creation (not decayed). */
  readonly updates: number;
  readonly w: number;
  readonly mean: number;
  readonly m2: number;
}

/**
 * One damped statistic at one decay factor, with its own clock: the object form of a record, for code off the
 * per-packet path (tests, federated merging). AfterImage keeps records in slabs with the functions above.
 */
export class DampedStat {
  /** Decay factor λ in 1/s. */
  readonly lambda: number;
  private readonly s = new Float64Array(DAMPED_STRIDE);
  private t = 0;
  private n = 0;

  /** @throws RangeError when `lambda` is not a finite number ≥ 0. */
  constructor(lambda: number) {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`DampedStat lambda must be a finite number >= 0, got ${lambda}`);
    this.lambda = lambda;
  }

  /** Inserts value `x` observed at time `t` (seconds); returns the residual x − mean after insertion. */
  update(t: number, x: number): number {
    const d = this.n > 0 ? decayFactor(this.lambda, t - this.t) : 1;
    const r = dampedInsert(this.s, 0, d, x);
    if (this.n === 0 || t > this.t) this.t = t;
    this.n++;
    return r;
  }

  /** Decays the statistic to time `t` without inserting (no effect for t ≤ the last time). */
  decayTo(t: number): void {
    if (this.n > 0 && t > this.t) {
      dampedDecay(this.s, 0, decayFactor(this.lambda, t - this.t));
      this.t = t;
    }
  }

  /** Number of values inserted since creation. */
  get updates(): number {
    return this.n;
  }
  /** Time of the last update (seconds); 0 before the first. */
  get lastT(): number {
    return this.t;
  }
  /** Weight w as of the last update (call {@link decayTo} first for the weight at a later time). */
  get weight(): number {
    return this.s[DAMPED_W];
  }
  /** Weighted mean (0 before the first value). */
  get mean(): number {
    return this.s[DAMPED_MEAN];
  }
  /** Weighted population variance M2 / w (0 before the first value). */
  get variance(): number {
    return dampedVariance(this.s, 0);
  }
  /** √variance. */
  get std(): number {
    return Math.sqrt(this.variance);
  }
  /** Kitsune's linear sum LS = w·mean. */
  get linearSum(): number {
    return this.s[DAMPED_W] * this.s[DAMPED_MEAN];
  }
  /** Kitsune's squared sum SS = M2 + w·mean². */
  get squaredSum(): number {
    return this.s[DAMPED_M2] + this.s[DAMPED_W] * this.s[DAMPED_MEAN] * this.s[DAMPED_MEAN];
  }

  /**
   * Merges `other` (a summary of a disjoint part of the same stream) into this one: both are decayed to the later
   * of their two last times, then combined (Chan et al. 1979). Afterwards this summarises the union, as if every
   * value had been inserted here in time order.
   * @throws RangeError when the decay factors differ.
   */
  merge(other: DampedStat): this {
    if (other.lambda !== this.lambda) throw new RangeError(`DampedStat.merge: lambda ${other.lambda} differs from ${this.lambda}`);
    if (other.n === 0) return this;
    if (this.n === 0) {
      this.s.set(other.s);
      this.t = other.t;
      this.n = other.n;
      return this;
    }
    const t = Math.max(this.t, other.t);
    dampedMerge(this.s, 0, decayFactor(this.lambda, t - this.t), other.s, 0, decayFactor(this.lambda, t - other.t));
    this.t = t;
    this.n += other.n;
    return this;
  }

  /** A JSON-able copy of the state. */
  toState(): DampedStatState {
    return { lambda: this.lambda, lastT: this.t, updates: this.n, w: this.s[DAMPED_W], mean: this.s[DAMPED_MEAN], m2: this.s[DAMPED_M2] };
  }

  /**
   * Rebuilds a statistic from {@link toState}'s output.
   * @throws RangeError when a field is not finite or w, m2 or updates is negative.
   */
  static fromState(st: DampedStatState): DampedStat {
    for (const [k, v] of Object.entries(st)) if (!Number.isFinite(v)) throw new RangeError(`DampedStat.fromState: ${k} is not finite`);
    if (st.w < 0 || st.m2 < 0 || st.updates < 0 || !Number.isInteger(st.updates)) throw new RangeError('DampedStat.fromState: negative weight, M2 or update count');
    const d = new DampedStat(st.lambda);
    d.s[DAMPED_W] = st.w;
    d.s[DAMPED_MEAN] = st.mean;
    d.s[DAMPED_M2] = st.m2;
    d.t = st.lastT;
    d.n = st.updates;
    return d;
  }
}
