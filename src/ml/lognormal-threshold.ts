/**
 * An alert threshold from the distribution of benign anomaly scores, as Kitsune does it (Mirsky et al., NDSS
 * 2018, §V; Kitsune-py `example.py` fits a normal to the logs of the benign RMSEs and reads tail
 * probabilities with `norm.logsf`): the scores of a calibration window are taken to be log-normal, ln S ~
 * N(μ, σ²), and the threshold is the (1 − p) quantile
 *   τ = exp(μ + σ·z),  z = Φ⁻¹(1 − p)   (p = 0.001 by default: z ≈ 3.0902),
 * so a benign score exceeds τ with probability p under the fit. The tail probability P(S ≥ s) =
 * 1 − Φ((ln s − μ)/σ) of a score is its "p-value" for reports.
 *
 * Calibration is bounded: μ and σ are the running mean and population standard deviation of ln s (Welford,
 * "Note on a method for calculating corrected sums of squares and products", Technometrics 4(3), 1962), over
 * the first `calibrationSize` positive finite scores; later scores are ignored (counted), so the memory is a few
 * numbers whatever the stream length. Scores ≤ 0 or non-finite have no logarithm: they are skipped and counted.
 * Two calibrations of disjoint windows merge exactly (Chan, Golub & LeVeque 1979).
 *
 * Feed it the scores of benign traffic after the detector's warm-up (KitNET: `process` results once
 * `isWarm()`), as Kitsune-py's example fits the RMSEs between the end of the grace periods and packet 100,000.
 *
 * Numerics: Φ⁻¹ is Wichura's algorithm AS 241 (PPND16, "The percentage points of the normal distribution",
 * Applied Statistics 37(3), 477–484, 1988; relative error ≈ 1e-16); Φ and 1 − Φ are Cody's rational Chebyshev
 * approximations ("Rational Chebyshev approximations for the error function", Math. Comp. 23, 1969, as in R's
 * `pnorm_both`), accurate to ≈ 1e-15 relative in both tails down to ≈ 1e-300.
 */
import { IpqsecError } from '../core/errors.js';

// Wichura (1988), AS 241 PPND16 coefficients: central region |p − 0.5| ≤ 0.425 (A/B), intermediate tail
// r = √(−ln min(p, 1−p)) ≤ 5 (C/D), far tail (E/F). Index = power of the polynomial variable. The published
// 20-digit coefficients are written here as their nearest double (shortest round-trip form): the same values.
const AS241_A = [3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987, 67265.7709270087, 33430.57558358813, 2509.0809287301227];
const AS241_B = [1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271, 28729.085735721943, 5226.495278852854];
const AS241_C = [1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684, 0.2417807251774506, 0.022723844989269184, 0.0007745450142783414];
const AS241_D = [1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457, 0.0005475938084995345, 1.0507500716444169e-9];
const AS241_E = [6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124, 0.0012426609473880784, 0.000027115555687434876, 2.0103343992922881e-7];
const AS241_F = [1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133, 0.000018463183175100548, 1.421511758316446e-7, 2.0442631033899397e-15];

function poly7(c: readonly number[], r: number): number {
  return ((((((c[7] * r + c[6]) * r + c[5]) * r + c[4]) * r + c[3]) * r + c[2]) * r + c[1]) * r + c[0];
}

/**
 * Φ⁻¹(p), the standard normal quantile (Wichura 1988, AS 241 PPND16). Φ⁻¹(0) = −∞, Φ⁻¹(1) = +∞.
 * @throws RangeError when p is not in [0, 1].
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`normalQuantile: p must be in [0, 1], got ${p}`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly7(AS241_A, r)) / poly7(AS241_B, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let v: number;
  if (r <= 5) {
    r -= 1.6;
    v = poly7(AS241_C, r) / poly7(AS241_D, r);
  } else {
    r -= 5;
    v = poly7(AS241_E, r) / poly7(AS241_F, r);
  }
  return q < 0 ? -v : v;
}

// Cody (1969) coefficients as in R's pnorm_both: |x| ≤ 0.67448975 (A/B), ≤ √32 (C/D), beyond (P/Q), as nearest doubles.
const CODY_A = [2.2352520354606837, 161.02823106855587, 1067.6894854603709, 18154.98125334356, 0.06568233791820745];
const CODY_B = [47.202581904688245, 976.0985517377767, 10260.932208618979, 45507.78933502673];
const CODY_C = [0.39894151208813466, 8.883149794388377, 93.50665613217785, 597.2702763948002, 2494.5375852903726, 6848.190450536283, 11602.65143764735, 9842.714838383978, 1.0765576773720192e-8];
const CODY_D = [22.266688044328117, 235.387901782625, 1519.3775994075547, 6485.558298266761, 18615.571640885097, 34900.95272114598, 38912.00328609327, 19685.429676859992];
const CODY_P = [0.215898534057957, 0.12740116116024736, 0.022235277870649807, 0.0014216191932278934, 0.000029112874951168793, 0.023073441764940174];
const CODY_Q = [1.284260096144911, 0.4682382124808651, 0.06598813786892856, 0.0037823963320275824, 0.00007297515550839662];
const M_1_SQRT_2PI = 0.3989422804014327;
const SQRT32 = 5.656854249492381;

/** exp(−y²/2) computed in two parts so that y² loses no bits (R's `do_del`). */
function halfGauss(y: number): number {
  const ysq = Math.trunc(y * 16) / 16;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq * 0.5) * Math.exp(-del * 0.5);
}

/**
 * 1 − Φ(x), the standard normal upper tail, accurate in relative terms far into the tail (Cody 1969; R's
 * `pnorm_both`). NaN gives NaN.
 */
export function normalSf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const y = Math.abs(x);
  if (y <= 0.67448975) {
    const xsq = y > 1.1102230246251565e-16 ? x * x : 0;
    let num = CODY_A[4] * xsq;
    let den = xsq;
    for (let i = 0; i < 3; i++) {
      num = (num + CODY_A[i]) * xsq;
      den = (den + CODY_B[i]) * xsq;
    }
    return 0.5 - (x * (num + CODY_A[3])) / (den + CODY_B[3]);
  }
  let tail: number;
  if (y <= SQRT32) {
    let num = CODY_C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + CODY_C[i]) * y;
      den = (den + CODY_D[i]) * y;
    }
    tail = ((num + CODY_C[7]) / (den + CODY_D[7])) * halfGauss(y);
  } else if (y < 40) {
    const xsq = 1 / (x * x);
    let num = CODY_P[5] * xsq;
    let den = xsq;
    for (let i = 0; i < 4; i++) {
      num = (num + CODY_P[i]) * xsq;
      den = (den + CODY_Q[i]) * xsq;
    }
    const r = (xsq * (num + CODY_P[4])) / (den + CODY_Q[4]);
    tail = ((M_1_SQRT_2PI - r) / y) * halfGauss(y);
  } else {
    tail = 0; // below the smallest double
  }
  return x > 0 ? tail : 1 - tail;
}

/** Φ(x), the standard normal distribution function (= normalSf(−x)). */
export function normalCdf(x: number): number {
  return normalSf(-x);
}

/** Options of {@link LogNormalThreshold}. */
export interface LogNormalThresholdOptions {
  /** Benign tail probability above the threshold, in (0, 0.5). Default 0.001 (z ≈ 3.0902). */
  readonly p?: number;
  /** Scores (positive, finite) in the calibration window; integer ≥ 2. Default 50,000. */
  readonly calibrationSize?: number;
}

/** Defaults of {@link LogNormalThresholdOptions}. */
export const LOGNORMAL_THRESHOLD_DEFAULTS = Object.freeze({ p: 0.001, calibrationSize: 50_000 });

/** A JSON-able calibration state (to save, ship or merge). */
export interface LogNormalCalibration {
  /** Positive finite scores used. */
  readonly count: number;
  /** Mean of their natural logarithms. */
  readonly mu: number;
  /** Σ (ln s − μ)². */
  readonly m2: number;
}

/** A log-normal fit of benign scores and the threshold it implies; see the file comment. */
export class LogNormalThreshold {
  /** Tail probability above the threshold. */
  readonly p: number;
  /** Φ⁻¹(1 − p). */
  readonly z: number;
  /** Positive finite scores that make up the calibration window. */
  readonly calibrationSize: number;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private skippedCount = 0;
  private ignoredCount = 0;

  /** @throws IpqsecError `IPQ-M006` when `p` or `calibrationSize` is out of range. */
  constructor(opts: LogNormalThresholdOptions = {}) {
    const p = opts.p ?? LOGNORMAL_THRESHOLD_DEFAULTS.p;
    if (!(p > 0 && p < 0.5)) throw new IpqsecError('IPQ-M006', `log-normal threshold p = ${p}, expected a number in (0, 0.5)`);
    const size = opts.calibrationSize ?? LOGNORMAL_THRESHOLD_DEFAULTS.calibrationSize;
    if (!Number.isInteger(size) || size < 2) throw new IpqsecError('IPQ-M006', `log-normal threshold calibrationSize = ${size}, expected an integer ≥ 2`);
    this.p = p;
    this.z = normalQuantile(1 - p);
    this.calibrationSize = size;
  }

  /**
   * Adds one benign score to the calibration window (Welford's update of ln s). Scores ≤ 0 or non-finite are
   * skipped; scores after the window is full are ignored. O(1), no allocation.
   */
  observe(score: number): void {
    if (!(score > 0) || !Number.isFinite(score)) {
      this.skippedCount++;
      return;
    }
    if (this.n >= this.calibrationSize) {
      this.ignoredCount++;
      return;
    }
    const v = Math.log(score);
    this.n++;
    const delta = v - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (v - this.mean);
  }

  /** True once the calibration window is full. */
  isCalibrated(): boolean {
    return this.n >= this.calibrationSize;
  }

  /** Scores in the window so far. */
  get count(): number {
    return this.n;
  }
  /** Scores skipped for having no logarithm (≤ 0, NaN, ±Infinity). */
  get skipped(): number {
    return this.skippedCount;
  }
  /** Scores ignored because the window was full. */
  get ignored(): number {
    return this.ignoredCount;
  }
  /** μ: mean of ln score over the window so far (0 when empty). */
  get mu(): number {
    return this.mean;
  }
  /** σ: population standard deviation of ln score over the window so far (0 below two scores). */
  get sigma(): number {
    return this.n > 1 ? Math.sqrt(this.m2 / this.n) : 0;
  }

  /**
   * The threshold exp(μ + σ·z): a benign score exceeds it with probability p under the fit.
   * @throws IpqsecError `IPQ-M008` before the calibration window is full.
   */
  threshold(): number {
    this.assertCalibrated();
    return Math.exp(this.mean + this.sigma * this.z);
  }

  /**
   * P(S ≥ score) under the fitted log-normal, in [0, 1] (1 for scores ≤ 0; a point mass when σ = 0).
   * @throws IpqsecError `IPQ-M008` before the calibration window is full.
   */
  tailProbability(score: number): number {
    this.assertCalibrated();
    if (!(score > 0)) return 1;
    const sigma = this.sigma;
    const d = Math.log(score) - this.mean;
    if (sigma === 0) return d > 0 ? 0 : 1;
    return normalSf(d / sigma);
  }

  /**
   * True when `score` exceeds the threshold.
   * @throws IpqsecError `IPQ-M008` before the calibration window is full.
   */
  isAnomalous(score: number): boolean {
    return score > this.threshold();
  }

  /** The calibration state (count, μ, Σ(ln s − μ)²). */
  toCalibration(): LogNormalCalibration {
    return { count: this.n, mu: this.mean, m2: this.m2 };
  }

  /**
   * Merges another window's calibration (Chan et al. 1979): afterwards the fit is that of both windows' scores.
   * The count may then exceed `calibrationSize`; the window counts as full.
   * @throws RangeError when the state is malformed (negative or non-integer count, negative or non-finite m2).
   */
  merge(other: LogNormalCalibration): this {
    if (!Number.isInteger(other.count) || other.count < 0 || !Number.isFinite(other.mu) || !(other.m2 >= 0) || !Number.isFinite(other.m2)) {
      throw new RangeError('LogNormalThreshold.merge: malformed calibration');
    }
    if (other.count === 0) return this;
    const n = this.n + other.count;
    const delta = other.mu - this.mean;
    this.m2 += other.m2 + (delta * delta * this.n * other.count) / n;
    this.mean += (delta * other.count) / n;
    this.n = n;
    return this;
  }

  private assertCalibrated(): void {
    if (!this.isCalibrated()) {
      throw new IpqsecError('IPQ-M008', `log-normal threshold has ${this.n} of the ${this.calibrationSize} benign scores it needs`, {
        details: { count: this.n, calibrationSize: this.calibrationSize },
      });
    }
  }
}
