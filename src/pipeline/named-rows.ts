/**
 * Rows of named values (a flow's features under their column names) as the {@link Table} a model file expects:
 * one column per entry of the model's `featureSchema`, in that order, whatever else the rows hold.
 *
 * This is how a model trained on one data set scores flows measured elsewhere: columns are matched by name
 * (UNSW-NB15's `dur`, `sbytes`, `ct_srv_src`, …; Zeek's `duration`, `orig_bytes`, …). A column the rows never
 * carry is filled as missing — `NaN` for a numeric column, `'-'` for a categorical one (the category a UNSW or
 * Zeek loader gives an unset value) — and reported in `missing`, so the caller can say which inputs the model
 * did without. The GBDT routes missing values through its learned missing branch; other models see the
 * preprocessing's imputation (see `data/preprocess.ts`).
 */
import { encodeCategorical, type Column, type Table } from '../data/table.js';
import type { FeatureColumnSpec } from '../ml/model-file.js';

/** One row: column name → number (`NaN` = missing) or category string. */
export type NamedRow = Readonly<Record<string, number | string | null | undefined>>;

/** Result of {@link tableForModel}. */
export interface ModelTable {
  readonly table: Table;
  /** Schema columns no row carried (filled as missing). */
  readonly missing: readonly string[];
}

/**
 * Builds the table for `schema` from `rows`. A numeric column takes numbers (a string or null is `NaN`); a
 * categorical column takes strings (a number is written in decimal, null/undefined/'' is `'-'`); categories are
 * dictionary-encoded in order of first appearance. Cost O(rows × schema columns).
 */
export function tableForModel(schema: readonly FeatureColumnSpec[], rows: readonly NamedRow[]): ModelTable {
  const nRows = rows.length;
  const missing: string[] = [];
  const columns: Column[] = schema.map((spec): Column => {
    const name = spec.name;
    let seen = false;
    if (spec.kind === 'numeric') {
      const values = new Float64Array(nRows);
      for (let i = 0; i < nRows; i++) {
        const v = rows[i]![name];
        if (v !== undefined) seen = true;
        values[i] = typeof v === 'number' ? v : Number.NaN;
      }
      if (!seen) missing.push(name);
      return { kind: 'numeric', name, values };
    }
    const col = encodeCategorical(name, nRows, (i) => {
      const raw = rows[i]![name];
      if (raw !== undefined) seen = true;
      return raw === undefined || raw === null || raw === '' ? '-' : String(raw);
    });
    if (!seen) missing.push(name);
    return col;
  });
  return { table: { nRows, columns }, missing };
}
