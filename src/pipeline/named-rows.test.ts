import { describe, expect, it } from 'vitest';
import { tableForModel } from './named-rows.js';

describe('tableForModel', () => {
  const schema = [
    { name: 'dur', kind: 'numeric' },
    { name: 'proto', kind: 'categorical' },
    { name: 'trans_depth', kind: 'numeric' },
  ] as const;

  it('takes the schema columns in schema order, by name, ignoring extra fields', () => {
    const { table, missing } = tableForModel(schema, [
      { proto: 'tcp', dur: 1.5, extra: 7 },
      { dur: 0, proto: 'udp' },
      { dur: 2, proto: 'tcp' },
    ]);
    expect(table.nRows).toBe(3);
    expect(table.columns.map((c) => c.name)).toEqual(['dur', 'proto', 'trans_depth']);
    const dur = table.columns[0]!;
    expect(dur.kind === 'numeric' && Array.from(dur.values)).toEqual([1.5, 0, 2]);
    const proto = table.columns[1]!;
    expect(proto.kind === 'categorical' && proto.categories).toEqual(['tcp', 'udp']);
    expect(proto.kind === 'categorical' && Array.from(proto.codes)).toEqual([0, 1, 0]);
    expect(missing).toEqual(['trans_depth']);
    const td = table.columns[2]!;
    expect(td.kind === 'numeric' && Array.from(td.values).every(Number.isNaN)).toBe(true);
  });

  it('writes unset categories as "-" and non-numbers in numeric columns as NaN', () => {
    const { table, missing } = tableForModel(schema, [{ dur: 'x' as unknown as number, proto: null, trans_depth: 1 }, { dur: 3, proto: '' }]);
    expect(missing).toEqual([]);
    const dur = table.columns[0]!;
    expect(dur.kind === 'numeric' && Number.isNaN(dur.values[0]!)).toBe(true);
    const proto = table.columns[1]!;
    expect(proto.kind === 'categorical' && proto.categories).toEqual(['-']);
  });
});
