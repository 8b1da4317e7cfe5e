/**
 * Public surface of `data/`: CSV reading, data set loaders, preprocessing, splits, class weights, SMOTE and
 * temporal features.
 */
export type { CategoricalColumn, Column, LabelledDataset, NumericColumn, Table } from './table.js';
export { DEFAULT_MISSING, isNumericToken, parseCsvText, readCsv } from './csv-reader.js';
export type { CsvData, CsvReadOptions } from './csv-reader.js';
export { validateDataset } from './validate-dataset.js';
export type { ValidateOptions } from './validate-dataset.js';
export { concatTables } from './concat-tables.js';
export { loadNslKdd, normaliseAttackName, NSL_KDD_CATEGORICAL, NSL_KDD_CLASSES, NSL_KDD_FAMILY, NSL_KDD_FEATURES } from './nsl-kdd.js';
export type { NslKddFamily, NslKddOptions } from './nsl-kdd.js';
export { loadUnswNb15, normaliseAttackCat, UNSW_NB15_CATEGORICAL, UNSW_NB15_CLASSES, UNSW_NB15_LEAKY } from './unsw-nb15.js';
export type { UnswNb15Options } from './unsw-nb15.js';
export { loadTonIot, TON_IOT_CLASSES, TON_IOT_NON_FEATURES, tonIotDevice } from './ton-iot.js';
export type { TonIotOptions } from './ton-iot.js';
export { isNormalLabel, loadGenericCsv, NORMAL_LABELS, parseTimeSeconds } from './generic-csv.js';
export type { GenericCsvOptions } from './generic-csv.js';
export { DATASET_KINDS, DATASET_SOURCES, dataDir, downloadInstructions, loadDataset, parseDatasetKind, resolveDataFile } from './datasets.js';
export type { DatasetKind, DatasetSource, LoadDatasetOptions } from './datasets.js';
export { fitPreprocessor, Preprocessor, transform, UNSEEN } from './preprocess.js';
export type { CategoricalColumnState, ColumnState, NumericColumnState, PreprocessOptions, PreprocessorState } from './preprocess.js';
export { stratifiedHoldout, stratifiedKFold, timeOrder, timeOrderedSplit } from './splits.js';
export type { Split } from './splits.js';
export { balancedClassWeights, balancedSampleWeights } from './class-weights.js';
export { smote } from './smote.js';
export type { SmoteOptions, SmoteResult } from './smote.js';
export { addTemporalFeatures, DEFAULT_RATE_WINDOWS_SEC, DEFAULT_WINDOWS, temporalFeatureNames } from './temporal.js';
export type { TemporalOptions } from './temporal.js';
