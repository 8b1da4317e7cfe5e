/**
 * Options shared by every batch model's `train*` function (GBDT, random forest, logistic regression,
 * isolation forest).
 */
import type { Matrix } from '../core/matrix.js';
import type { ProgressFn } from './classifier.js';

/** Options for a `train*` call, independent of the model's hyper-parameters. */
export interface TrainOptions {
  /**
   * Weight per training row (length = number of rows, each ≥ 0), for example class weights. GBDT multiplies
   * gradients and hessians by it; the random forest multiplies class counts by it.
   */
  sampleWeight?: Float64Array;
  /** Explicit validation set for early stopping (models without early stopping ignore it). */
  validation?: { X: Matrix; y: Int32Array };
  /** Progress callback (stage name, units done, units total). */
  onProgress?: ProgressFn;
  /** Worker threads to use where the model supports them; default min(2, os.availableParallelism()). */
  threads?: number;
}
