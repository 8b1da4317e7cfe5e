/**
 * Live flow feature rows as a columnar {@link Table}, the form the model file's preprocessing reads (columns are
 * matched by name, so this is all a trained flow model needs to score live traffic in a batch).
 */
import type { Column, Table } from '../data/table.js';
import { FLOW_MODEL_FEATURES, type FlowFeatureRow } from '../features/flow-features.js';

/**
 * Builds a table with one column per {@link FLOW_MODEL_FEATURES} entry, in that order, and one row per element
 * of `rows`. Numeric columns are `Float64Array` (`NaN` stays missing). Categorical columns are dictionary
 * encoded with categories in order of first appearance; `'-'` is an ordinary category, as in the UNSW-NB15
 * loader (Zeek's unset `service` is a value the model learns from), so no code is -1.
 *
 * Cost: O(rows × features), one Map per categorical column.
 */
export function flowRowsToTable(rows: readonly FlowFeatureRow[]): Table {
  const nRows = rows.length;
  const columns: Column[] = FLOW_MODEL_FEATURES.map((spec): Column => {
    const name = spec.name;
    if (spec.kind === 'numeric') {
      const values = new Float64Array(nRows);
      for (let i = 0; i < nRows; i++) values[i] = rows[i][spec.name];
      return { kind: 'numeric', name, values };
    }
    const codes = new Int32Array(nRows);
    const categories: string[] = [];
    const index = new Map<string, number>();
    for (let i = 0; i < nRows; i++) {
      const v = rows[i][spec.name];
      let k = index.get(v);
      if (k === undefined) {
        k = categories.length;
        categories.push(v);
        index.set(v, k);
      }
      codes[i] = k;
    }
    return { kind: 'categorical', name, codes, categories };
  });
  return { nRows, columns };
}
