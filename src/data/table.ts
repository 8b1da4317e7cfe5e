/**
 * Columnar tables: what the data set loaders produce and preprocessing consumes.
 *
 * Numeric columns are `Float64Array` with `NaN` for a missing value (`-`, empty, `NaN` in the file).
 * Categorical columns are dictionary-encoded: `codes[i]` indexes `categories`, `-1` is missing.
 */
export interface NumericColumn {
  readonly kind: 'numeric';
  readonly name: string;
  readonly values: Float64Array;
}

export interface CategoricalColumn {
  readonly kind: 'categorical';
  readonly name: string;
  /** Index into `categories` per row; -1 for a missing value. */
  readonly codes: Int32Array;
  /** Distinct values in order of first appearance. */
  readonly categories: readonly string[];
}

export type Column = NumericColumn | CategoricalColumn;

/**
 * A categorical column from `n` string values (`valueAt(i)` for row i), dictionary-encoded with categories in order
 * of first appearance; every value is a category (no -1). Cost O(n), one Map.
 */
export function encodeCategorical(name: string, n: number, valueAt: (i: number) => string): CategoricalColumn {
  const codes = new Int32Array(n);
  const categories: string[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const v = valueAt(i);
    let k = index.get(v);
    if (k === undefined) {
      k = categories.length;
      categories.push(v);
      index.set(v, k);
    }
    codes[i] = k;
  }
  return { kind: 'categorical', name, codes, categories };
}

/** Feature columns of one data set, all of length `nRows`. */
export interface Table {
  readonly nRows: number;
  readonly columns: readonly Column[];
}

/**
 * A labelled data set: feature table plus targets.
 *
 * - `binary[i]` is 0 for normal traffic, 1 for an attack.
 * - `multiclass[i]` indexes `classNames` (NSL-KDD attack families, UNSW-NB15 `attack_cat`, TON_IoT `type`);
 *   the normal class is always index 0 and named `normal` (UNSW's `Normal` is normalised).
 * - `rawLabel[i]` is the label as written in the file (NSL-KDD attack name), for grouping and reports.
 * - `time` (seconds, Unix epoch for TON_IoT) when the data set has a time column, for time-ordered splits and
 *   temporal features.
 */
export interface LabelledDataset {
  /** Short name, e.g. `nsl-kdd`, `unsw-nb15`, `ton-iot Thermostat`. */
  readonly name: string;
  readonly features: Table;
  readonly binary: Uint8Array;
  readonly multiclass: Int32Array;
  readonly classNames: readonly string[];
  readonly rawLabel: readonly string[];
  readonly time?: Float64Array;
  /** Extra per-row numeric metadata kept out of the features (NSL-KDD `difficulty`). */
  readonly meta?: Readonly<Record<string, Float64Array>>;
  /** Rows skipped by `skipBadRows`, with the first few reasons. */
  readonly skipped: { readonly count: number; readonly examples: readonly string[] };
  /** Source files read. */
  readonly files: readonly string[];
}
