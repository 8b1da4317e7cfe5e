/**
 * Row subsets of data sets (for nested cross-validation): copies of the chosen rows, dictionaries kept.
 */
import type { Column, LabelledDataset, Table } from './table.js';

function take<T extends Float64Array | Int32Array | Uint8Array>(a: T, rows: ArrayLike<number>): T {
  const out = new (a.constructor as new (n: number) => T)(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]];
  return out;
}

/** The rows `rows` of a table (in that order); categorical dictionaries are shared, not re-coded. */
export function subsetTable(t: Table, rows: ArrayLike<number>): Table {
  const columns: Column[] = t.columns.map((c) =>
    c.kind === 'numeric' ? { kind: 'numeric', name: c.name, values: take(c.values, rows) } : { kind: 'categorical', name: c.name, codes: take(c.codes, rows), categories: c.categories },
  );
  return { nRows: rows.length, columns };
}

/**
 * The rows `rows` of a labelled data set, targets, time and metadata included.
 * Cost: one copy of the selected rows. @throws RangeError never; indices are trusted (callers pass split indices).
 */
export function subsetDataset(ds: LabelledDataset, rows: ArrayLike<number>): LabelledDataset {
  const meta = ds.meta === undefined ? undefined : Object.fromEntries(Object.entries(ds.meta).map(([k, v]) => [k, take(v, rows)]));
  return {
    ...ds,
    features: subsetTable(ds.features, rows),
    binary: take(ds.binary, rows),
    multiclass: take(ds.multiclass, rows),
    rawLabel: Array.from({ length: rows.length }, (_, i) => ds.rawLabel[rows[i]]),
    ...(ds.time !== undefined ? { time: take(ds.time, rows) } : {}),
    ...(meta !== undefined ? { meta } : {}),
  };
}
