/**
 * One place that maps a {@link ModelKind} to its trainer, its deserialiser and the preprocessing it expects.
 */
import { IpqsecError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { Classifier, ModelKind, SerializedModel } from './classifier.js';
import { deserializeForest, trainForest } from './forest.js';
import { deserializeGbdt, trainGbdt } from './gbdt.js';
import { deserializeIsolationForest, trainIsolationForest } from './iforest.js';
import { deserializeHybrid, trainHybrid } from './hybrid.js';
import { deserializeLogistic, trainLogistic } from './logistic.js';
import type { TrainOptions } from './train-options.js';

/** How a model wants its inputs encoded (see data/preprocess): trees take ordinal codes, linear models one-hot + z-scores. */
export interface InputEncoding {
  readonly categorical: 'ordinal' | 'onehot';
  readonly standardize: boolean;
  /** Whether missing values must be imputed (linear models) or may stay NaN (trees route them). */
  readonly impute: boolean;
}

interface ModelEntry {
  readonly encoding: InputEncoding;
  readonly binaryOnly: boolean;
  train(X: Matrix, y: Int32Array, nClasses: number, params: Record<string, unknown>, opts: TrainOptions): Promise<Classifier>;
  deserialize(s: SerializedModel): Classifier;
}

const TREES: InputEncoding = { categorical: 'ordinal', standardize: false, impute: false };

const REGISTRY: Record<ModelKind, ModelEntry> = {
  gbdt: { encoding: TREES, binaryOnly: false, train: (X, y, k, p, o) => trainGbdt(X, y, k, p, o), deserialize: deserializeGbdt },
  forest: { encoding: TREES, binaryOnly: false, train: (X, y, k, p, o) => trainForest(X, y, k, p, o), deserialize: deserializeForest },
  logistic: {
    encoding: { categorical: 'onehot', standardize: true, impute: true },
    binaryOnly: false,
    train: (X, y, k, p, o) => trainLogistic(X, y, k, p, o),
    deserialize: deserializeLogistic,
  },
  iforest: {
    encoding: { categorical: 'ordinal', standardize: false, impute: true },
    binaryOnly: true,
    train: (X, y, k, p, o) => trainIsolationForest(X, y, k, p, o),
    deserialize: deserializeIsolationForest,
  },
  hybrid: { encoding: TREES, binaryOnly: true, train: (X, y, k, p, o) => trainHybrid(X, y, k, p, o), deserialize: deserializeHybrid },
};

/** Model kinds, in the order the CLI lists them. */
export const MODEL_KINDS: readonly ModelKind[] = ['gbdt', 'forest', 'logistic', 'iforest', 'hybrid'];

/**
 * Narrows a user string to a model kind.
 * @throws IpqsecError IPQ-M005 for an unknown kind.
 */
export function parseModelKind(s: string): ModelKind {
  if ((MODEL_KINDS as readonly string[]).includes(s)) return s as ModelKind;
  throw new IpqsecError('IPQ-M005', `"${s}" (known: ${MODEL_KINDS.join(', ')})`);
}

/** The input encoding a model kind expects. */
export function inputEncoding(kind: ModelKind): InputEncoding {
  return REGISTRY[kind].encoding;
}

/**
 * Trains a model of `kind` on `X` (rows) and class indices `y` (0..nClasses-1).
 * @throws IpqsecError IPQ-M007 when a binary-only model is asked for more than two classes.
 */
export function trainModel(
  kind: ModelKind,
  X: Matrix,
  y: Int32Array,
  nClasses: number,
  params: Record<string, unknown> = {},
  opts: TrainOptions = {},
): Promise<Classifier> {
  const entry = REGISTRY[kind];
  if (entry.binaryOnly && nClasses !== 2) {
    throw new IpqsecError('IPQ-M007', `${kind} needs the binary target, got ${nClasses} classes`);
  }
  return entry.train(X, y, nClasses, params, opts);
}

/** Rebuilds a trained model from its serialised form (as stored in a model file). */
export function deserializeModel(s: SerializedModel): Classifier {
  const entry = REGISTRY[s.kind];
  if (entry === undefined) throw new IpqsecError('IPQ-M005', `model file holds kind "${String(s.kind)}"`);
  return entry.deserialize(s);
}
