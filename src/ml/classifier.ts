/**
 * The contract every batch model implements, and the serialised form the model file stores.
 *
 * Models are trained by a `train*` function of their own file (for example `trainGbdt` in `gbdt.ts`) and
 * rebuilt from their serialised form by `deserialize*`; `model-registry.ts` maps a {@link ModelKind} to both.
 */
import type { Matrix } from '../core/matrix.js';

/** Model kinds IPqSEC trains. Stable strings: they are written into model files. */
export type ModelKind = 'gbdt' | 'forest' | 'logistic' | 'iforest' | 'hybrid';

/** Typed arrays a model stores in the binary part of a model file. */
export type ModelArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array | Int8Array;

/**
 * A model as plain data: JSON-able `params` (hyper-parameters, shapes, scalars) and named typed arrays
 * (tree nodes, weights). `deserialize(serialize(m))` predicts exactly as `m` does.
 */
export interface SerializedModel {
  readonly kind: ModelKind;
  readonly params: Readonly<Record<string, unknown>>;
  readonly arrays: Readonly<Record<string, ModelArray>>;
}

/** Progress callback: `done` of `total` units of `stage` (for progress bars; may be called often). */
export type ProgressFn = (stage: string, done: number, total: number) => void;

/**
 * A trained classifier over `nFeatures` numeric inputs and `nClasses` classes (class 0 is "normal" in the
 * binary target).
 */
export interface Classifier {
  readonly kind: ModelKind;
  readonly nFeatures: number;
  readonly nClasses: number;
  /**
   * Class probabilities, row-major `nRows × nClasses` (for the isolation forest: `[1 − s, s]` with `s` the
   * anomaly score of Liu et al. 2008 in (0, 1]). Writes into `out` when given (length ≥ nRows·nClasses) and
   * allocates nothing per row.
   * @throws RangeError when `X.nCols !== nFeatures`.
   */
  predictProba(X: Matrix, out?: Float64Array): Float64Array;
  /**
   * Predicted class per row: argmax of the probabilities, or for binary models the model's decision
   * threshold on the attack probability (0.5, or the isolation forest's training-score quantile).
   */
  predict(X: Matrix, out?: Int32Array): Int32Array;
  /** Importance per feature (sums to 1 when any split was made), or undefined when the model has none. */
  featureImportance(): Float64Array | undefined;
  serialize(): SerializedModel;
}

/** Checks `X` against the model's feature count; shared by every model's predict. */
export function checkFeatures(X: Matrix, nFeatures: number, what: string): void {
  if (X.nCols !== nFeatures) {
    throw new RangeError(`${what}: input has ${X.nCols} features, the model was trained on ${nFeatures}`);
  }
}
