/**
 * Preprocessing: a table of numeric and categorical columns into the numeric matrix a model takes.
 *
 * Fitted on the training rows only; the fitted state is plain JSON (saved in the model file) and is applied to
 * any later table by column NAME, so a test file with another column order, extra columns or its own category
 * dictionary order is encoded exactly as the training data was.
 *
 * Per column:
 * - numeric, `impute` off (trees): `NaN` stays `NaN` (trees route it), `±Infinity` becomes `±Number.MAX_VALUE`
 *   so the order of values is kept; with `impute` on (linear models, isolation forest): `NaN` and `±Infinity`
 *   become the median of the finite training values (0 when there is none). With `standardize`, then
 *   `(x − mean) / std` with the training mean and population standard deviation of the imputed values (as
 *   scikit-learn's `StandardScaler`; a zero std counts as 1).
 * - categorical, `ordinal`: the training category's index (training order of first appearance); a category not
 *   seen in training is the "unseen" code `categories.length`; missing is `NaN`, or the unseen code with `impute`.
 * - categorical, `onehot`: one 0/1 column per training category plus one `<name>=<unseen>` column; a missing
 *   value is all zeros. One-hot columns are never standardised.
 */
import { IpqsecError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { Column, Table } from './table.js';

/** Encoding options; the same shape as `InputEncoding` of `ml/model-registry`. */
export interface PreprocessOptions {
  readonly categorical: 'ordinal' | 'onehot';
  readonly standardize: boolean;
  readonly impute: boolean;
}

/** Fitted state of a numeric column. */
export interface NumericColumnState {
  readonly kind: 'numeric';
  readonly name: string;
  /** Median of the finite training values (0 if none): the imputed value. */
  readonly median: number;
  /** Mean and population std after imputation (std 0 stored as 1); used when standardising. */
  readonly mean: number;
  readonly std: number;
}

/** Fitted state of a categorical column. */
export interface CategoricalColumnState {
  readonly kind: 'categorical';
  readonly name: string;
  /** Training categories, in the training table's dictionary order. */
  readonly categories: readonly string[];
}

export type ColumnState = NumericColumnState | CategoricalColumnState;

/** A fitted preprocessor: plain JSON. */
export interface PreprocessorState {
  readonly version: 1;
  readonly options: PreprocessOptions;
  readonly columns: readonly ColumnState[];
  /** Names of the output matrix columns, e.g. `src_bytes`, `proto=tcp`, `proto=<unseen>`. */
  readonly featureNames: readonly string[];
}

/** Name of the one-hot column that catches categories not seen in training. */
export const UNSEEN = '<unseen>';

function medianOfFinite(values: Float64Array, rows: ArrayLike<number> | undefined): number {
  const n = rows === undefined ? values.length : rows.length;
  const buf = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = values[rows === undefined ? i : rows[i]];
    if (Number.isFinite(v)) buf[m++] = v;
  }
  if (m === 0) return 0;
  const s = buf.subarray(0, m).sort();
  return m % 2 === 1 ? s[(m - 1) >> 1] : (s[m / 2 - 1] + s[m / 2]) / 2;
}

/**
 * Fits a preprocessor on `rows` of `table` (all rows when omitted). Only those rows are read.
 * Cost: O(rows · log rows) per numeric column (the median sorts), O(rows) per categorical column.
 * @throws RangeError when a row index is out of range.
 */
export function fitPreprocessor(table: Table, opts: PreprocessOptions, rows?: ArrayLike<number>): PreprocessorState {
  if (rows !== undefined) {
    for (let i = 0; i < rows.length; i++) {
      if (!(rows[i] >= 0 && rows[i] < table.nRows)) throw new RangeError(`row index ${rows[i]} outside 0..${table.nRows - 1}`);
    }
  }
  const n = rows === undefined ? table.nRows : rows.length;
  const columns: ColumnState[] = [];
  const featureNames: string[] = [];
  for (const c of table.columns) {
    if (c.kind === 'numeric') {
      const median = medianOfFinite(c.values, rows);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const v = c.values[rows === undefined ? i : rows[i]];
        sum += Number.isFinite(v) ? v : median;
      }
      const mean = n > 0 ? sum / n : 0;
      let ss = 0;
      for (let i = 0; i < n; i++) {
        const v = c.values[rows === undefined ? i : rows[i]];
        const d = (Number.isFinite(v) ? v : median) - mean;
        ss += d * d;
      }
      const std = n > 0 ? Math.sqrt(ss / n) : 0;
      columns.push({ kind: 'numeric', name: c.name, median, mean, std: std > 0 && Number.isFinite(std) ? std : 1 });
      featureNames.push(c.name);
    } else {
      // Keep only categories that occur in the training rows, in dictionary order.
      const seen = new Uint8Array(c.categories.length);
      for (let i = 0; i < n; i++) {
        const k = c.codes[rows === undefined ? i : rows[i]];
        if (k >= 0) seen[k] = 1;
      }
      const categories = c.categories.filter((_, k) => seen[k] === 1);
      columns.push({ kind: 'categorical', name: c.name, categories });
      if (opts.categorical === 'onehot') {
        for (const s of categories) featureNames.push(`${c.name}=${s}`);
        featureNames.push(`${c.name}=${UNSEEN}`);
      } else {
        featureNames.push(c.name);
      }
    }
  }
  return { version: 1, options: { categorical: opts.categorical, standardize: opts.standardize, impute: opts.impute }, columns, featureNames };
}

function findColumn(table: Table, st: ColumnState): Column {
  const c = table.columns.find((x) => x.name === st.name);
  if (c === undefined) throw new IpqsecError('IPQ-M004', `the data has no column "${st.name}"`, { location: { column: st.name } });
  if (c.kind !== st.kind) {
    throw new IpqsecError('IPQ-M004', `column "${st.name}" is ${c.kind} in the data but was ${st.kind} in training`, { location: { column: st.name } });
  }
  return c;
}

/**
 * Encodes `rows` of `table` (all rows when omitted) with a fitted state, into a row-major matrix whose columns
 * are `state.featureNames`.
 * Cost: O(rows × output columns); no per-row allocation.
 * @throws IpqsecError IPQ-M004 naming the column when a fitted column is absent from `table` or has another kind.
 */
export function transform(state: PreprocessorState, table: Table, rows?: ArrayLike<number>): { X: Matrix; featureNames: readonly string[] } {
  const n = rows === undefined ? table.nRows : rows.length;
  const p = state.featureNames.length;
  const out = new Float64Array(n * p);
  const { impute, standardize, categorical } = state.options;
  let off = 0;
  for (const st of state.columns) {
    const c = findColumn(table, st);
    if (st.kind === 'numeric' && c.kind === 'numeric') {
      const { median } = st;
      const mean = standardize ? st.mean : 0;
      const inv = standardize ? 1 / st.std : 1;
      const v = c.values;
      for (let i = 0; i < n; i++) {
        let x = v[rows === undefined ? i : rows[i]];
        if (!Number.isFinite(x)) {
          if (impute) x = median;
          else if (x === Infinity) x = Number.MAX_VALUE;
          else if (x === -Infinity) x = -Number.MAX_VALUE;
        }
        out[i * p + off] = Number.isNaN(x) ? x : (x - mean) * inv;
      }
      off += 1;
    } else if (st.kind === 'categorical' && c.kind === 'categorical') {
      // Map the data's dictionary onto the training categories by string value.
      const index = new Map(st.categories.map((s, k) => [s, k]));
      const unseen = st.categories.length;
      const remap = new Int32Array(c.categories.length);
      for (let k = 0; k < c.categories.length; k++) remap[k] = index.get(c.categories[k]) ?? unseen;
      const codes = c.codes;
      if (categorical === 'onehot') {
        for (let i = 0; i < n; i++) {
          const k = codes[rows === undefined ? i : rows[i]];
          if (k >= 0) out[i * p + off + remap[k]] = 1;
        }
        off += unseen + 1;
      } else {
        const missing = impute ? unseen : Number.NaN;
        for (let i = 0; i < n; i++) {
          const k = codes[rows === undefined ? i : rows[i]];
          out[i * p + off] = k >= 0 ? remap[k] : missing;
        }
        off += 1;
      }
    }
  }
  return { X: { data: out, nRows: n, nCols: p }, featureNames: state.featureNames };
}

/**
 * A fitted preprocessor as an object: {@link fitPreprocessor} + {@link transform}.
 */
export class Preprocessor {
  private constructor(readonly state: PreprocessorState) {}

  /** Fits on `rows` of `table` (see {@link fitPreprocessor}). */
  static fit(table: Table, opts: PreprocessOptions, rows?: ArrayLike<number>): Preprocessor {
    return new Preprocessor(fitPreprocessor(table, opts, rows));
  }

  /**
   * Rebuilds from saved state (e.g. `JSON.parse` of a model file's section).
   * @throws IpqsecError IPQ-M001 when `state` is not a version-1 preprocessor state.
   */
  static fromState(state: unknown): Preprocessor {
    const s = state as PreprocessorState;
    if (s === null || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.columns) || !Array.isArray(s.featureNames)) {
      throw new IpqsecError('IPQ-M001', 'preprocessing state is not a version-1 IPqSEC preprocessor');
    }
    return new Preprocessor(s);
  }

  get featureNames(): readonly string[] {
    return this.state.featureNames;
  }

  /** See {@link transform}. */
  transform(table: Table, rows?: ArrayLike<number>): Matrix {
    return transform(this.state, table, rows).X;
  }
}
