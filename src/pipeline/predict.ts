/**
 * Scoring a table with a saved model: schema check, the saved preprocessing, batch prediction.
 */
import { transform, type PreprocessorState } from '../data/preprocess.js';
import type { Table } from '../data/table.js';
import { checkFeatureSchema, type ModelBundle } from '../ml/model-file.js';
import type { Classifier } from '../ml/classifier.js';
import { deserializeModel } from '../ml/model-registry.js';

/** A model file made ready to predict: the model rebuilt once, reused for every batch. */
export interface LoadedModel {
  readonly bundle: ModelBundle;
  readonly model: Classifier;
}

/** Rebuilds the model of a bundle. */
export function loadBundle(bundle: ModelBundle): LoadedModel {
  return { bundle, model: deserializeModel(bundle.model) };
}

/** Predictions for every row of a table: class index, class name and class probabilities. */
export interface Predictions {
  readonly nRows: number;
  readonly nClasses: number;
  readonly pred: Int32Array;
  /** Row-major `nRows × nClasses`. */
  readonly proba: Float64Array;
  readonly labelNames: readonly string[];
}

/**
 * Scores every row of `table` (matched to the model's input columns by name).
 * @throws IpqsecError IPQ-M004 when a column the model needs is missing or of another kind.
 */
export function predictTable(m: LoadedModel, table: Table): Predictions {
  checkFeatureSchema(m.bundle.featureSchema, table.columns);
  const { X } = transform(m.bundle.preprocessing as PreprocessorState, table);
  const proba = m.model.predictProba(X);
  const pred = m.model.predict(X);
  return { nRows: X.nRows, nClasses: m.model.nClasses, pred, proba, labelNames: m.bundle.labelNames };
}
