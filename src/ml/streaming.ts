/**
 * The contract of a streaming (online) anomaly detector, after river's `anomaly.base.AnomalyDetector`:
 * `learnOne(x)` updates the model with one observation, `scoreOne(x)` scores one observation without
 * learning it (higher = more anomalous). Thresholding a score into an alert is a separate step.
 *
 * Warm-up: a detector needs `warmUp` observations (learned with `learnOne`) before its scores mean anything.
 * Until `isWarm()` is true, `scoreOne` returns 0 ("not anomalous"), as river does, so that a stream can be
 * scored from its first row without special cases; callers that must not act on cold scores check
 * `isWarm()` or call {@link assertWarm}, which throws `IPQ-M008`.
 *
 * Inputs: `x.length` must equal `nFeatures` (else RangeError). NaN and ±Infinity never throw and never make a
 * score non-finite; each implementation documents how it reads them.
 *
 * Implementations must be deterministic for a given seed, bounded in memory (fixed at construction) and
 * allocate nothing per call. Each implementation's test file runs `runStreamingDetectorContract` from
 * `streaming.case.ts`.
 */
import { IpqsecError } from '../core/errors.js';

/** An online anomaly detector over fixed-length numeric feature vectors. */
export interface StreamingDetector {
  /** Length of every input vector. */
  readonly nFeatures: number;
  /** Number of `learnOne` calls after which the detector is warm (`isWarm()` becomes true). */
  readonly warmUp: number;
  /** True once `warmUp` observations have been learned. */
  isWarm(): boolean;
  /**
   * Updates the model with one observation (not retained by reference).
   * @throws RangeError when `x.length !== nFeatures`.
   */
  learnOne(x: Float64Array): void;
  /**
   * Anomaly score of one observation in [0, 1] (1 = most anomalous); 0 before warm-up. Does not learn `x`.
   * @throws RangeError when `x.length !== nFeatures`.
   */
  scoreOne(x: Float64Array): number;
}

/** Builds a fresh detector for `nFeatures`-long inputs from a seed (what the contract suite needs). */
export type StreamingDetectorFactory = (seed: number, nFeatures: number) => StreamingDetector;

/**
 * Throws unless `detector` is warm; for callers that must not act on cold scores.
 * @throws IpqsecError `IPQ-M008` before warm-up.
 */
export function assertWarm(detector: StreamingDetector): void {
  if (!detector.isWarm()) {
    throw new IpqsecError('IPQ-M008', `detector needs ${detector.warmUp} observations before scoring`);
  }
}

/**
 * Checks an input vector's length; shared by implementations.
 * @throws RangeError when `x.length !== nFeatures`.
 */
export function checkInput(x: Float64Array, nFeatures: number, what: string): void {
  if (x.length !== nFeatures) throw new RangeError(`${what}: input has ${x.length} features, expected ${nFeatures}`);
}
