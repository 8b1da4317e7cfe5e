import { describe, expect, it } from 'vitest';
import { concatTables } from './concat-tables.js';
import type { Table } from './table.js';

describe('concatTables', () => {
  it('stacks rows and merges dictionaries by value', () => {
    const a: Table = {
      nRows: 2,
      columns: [
        { kind: 'numeric', name: 'x', values: Float64Array.of(1, 2) },
        { kind: 'categorical', name: 'p', codes: Int32Array.of(0, 1), categories: ['tcp', 'udp'] },
      ],
    };
    const b: Table = {
      nRows: 3,
      columns: [
        { kind: 'categorical', name: 'p', codes: Int32Array.of(0, 1, -1), categories: ['udp', 'icmp'] },
        { kind: 'numeric', name: 'x', values: Float64Array.of(3, 4, 5) },
      ],
    };
    const t = concatTables([a, b]);
    expect(t.nRows).toBe(5);
    expect(t.columns[0]).toEqual({ kind: 'numeric', name: 'x', values: Float64Array.of(1, 2, 3, 4, 5) });
    expect(t.columns[1]).toEqual({ kind: 'categorical', name: 'p', codes: Int32Array.of(0, 1, 1, 2, -1), categories: ['tcp', 'udp', 'icmp'] });
  });

  it('reports a missing or retyped column as IPQ-M004', () => {
    const a: Table = { nRows: 1, columns: [{ kind: 'numeric', name: 'x', values: Float64Array.of(1) }] };
    const b: Table = { nRows: 1, columns: [{ kind: 'categorical', name: 'x', codes: Int32Array.of(0), categories: ['1'] }] };
    expect(() => concatTables([a, b], ['a.csv', 'b.csv'])).toThrow(expect.objectContaining({ code: 'IPQ-M004' }));
    expect(() => concatTables([a, { nRows: 0, columns: [] }])).toThrow(expect.objectContaining({ code: 'IPQ-M004' }));
  });
});
