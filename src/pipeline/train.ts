/**
 * Training a model for deployment: fit on all given rows and package everything prediction needs into a
 * {@link ModelBundle} (written by `ml/model-file`).
 */
import type { LabelledDataset } from '../data/table.js';
import type { ModelBundle } from '../ml/model-file.js';
import { fitModel, type FitSpec } from './fit.js';

/** What a bundle records about how its data was loaded, so `predict` reads new files the same way. */
export interface LoaderRecord {
  readonly kind: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly temporal: boolean;
}

/**
 * Fits `spec` on every row of `ds` and returns the model file contents.
 * @throws as {@link fitModel}.
 */
export async function trainBundle(ds: LabelledDataset, spec: FitSpec, loader: LoaderRecord, now: Date = new Date()): Promise<ModelBundle> {
  const fitted = await fitModel(ds, spec);
  return {
    format: 'ipqsec-model',
    version: 1,
    createdAt: now.toISOString(),
    model: fitted.model.serialize(),
    preprocessing: fitted.preprocessing,
    featureSchema: ds.features.columns.map((c) => ({ name: c.name, kind: c.kind })),
    featureNames: fitted.featureNames,
    labelNames: fitted.labelNames,
    target: spec.target,
    dataset: ds.name,
    training: {
      model: spec.model,
      params: spec.params ?? {},
      seed: spec.seed,
      smote: spec.smote === true,
      classWeight: spec.classWeight ?? 'none',
      rows: ds.features.nRows,
      trainRows: fitted.nTrainRows,
      fitSeconds: fitted.fitSeconds,
      files: ds.files,
      loader,
    },
  };
}
