/**
 * Live flow feature rows as a columnar {@link Table}, the form the model file's preprocessing reads (columns are
 * matched by name, so this is all a trained flow model needs to score live traffic in a batch).
 */
import { encodeCategorical, type Column, type Table } from '../data/table.js';
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
    return encodeCategorical(name, nRows, (i) => rows[i][spec.name]);
  });
  return { nRows, columns };
}
