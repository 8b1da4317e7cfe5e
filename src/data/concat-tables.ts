/**
 * Row-wise concatenation of tables read from several files of one data set.
 */
import { IpqsecError } from '../core/errors.js';
import type { Column, Table } from './table.js';

/**
 * Stacks tables with the same columns (by name, in the first table's order). Categorical dictionaries are merged
 * by string value: the result lists the first table's categories, then new ones in order of first appearance.
 *
 * Cost: O(total rows × columns).
 * @param files file names for error messages, parallel to `tables`.
 * @throws IpqsecError IPQ-M004 when a later table lacks a column of the first, or has it with another kind.
 */
export function concatTables(tables: readonly Table[], files: readonly string[] = []): Table {
  if (tables.length === 0) throw new RangeError('concatTables needs at least one table');
  if (tables.length === 1) return tables[0];
  const nRows = tables.reduce((s, t) => s + t.nRows, 0);
  const columns: Column[] = tables[0].columns.map((c0) => {
    const parts = tables.map((t, ti) => {
      const c = t.columns.find((x) => x.name === c0.name);
      if (c === undefined || c.kind !== c0.kind) {
        throw new IpqsecError('IPQ-M004', `column "${c0.name}" ${c === undefined ? 'is missing' : `is ${c.kind}, expected ${c0.kind}`}`, {
          location: { file: files[ti], column: c0.name },
        });
      }
      return c;
    });
    if (c0.kind === 'numeric') {
      const values = new Float64Array(nRows);
      let off = 0;
      for (const p of parts) {
        if (p.kind !== 'numeric') continue;
        values.set(p.values, off);
        off += p.values.length;
      }
      return { kind: 'numeric', name: c0.name, values };
    }
    const categories: string[] = [];
    const index = new Map<string, number>();
    const codes = new Int32Array(nRows);
    let off = 0;
    for (const p of parts) {
      if (p.kind !== 'categorical') continue;
      const remap = p.categories.map((s) => {
        let k = index.get(s);
        if (k === undefined) {
          k = categories.length;
          categories.push(s);
          index.set(s, k);
        }
        return k;
      });
      for (let i = 0; i < p.codes.length; i++) codes[off + i] = p.codes[i] < 0 ? -1 : remap[p.codes[i]];
      off += p.codes.length;
    }
    return { kind: 'categorical', name: c0.name, codes, categories };
  });
  return { nRows, columns };
}
