import { describe, expect, it } from 'vitest';
import type { LabelledDataset } from './table.js';
import { validateDataset } from './validate-dataset.js';

function ds(binary: number[], multiclass = binary, classNames = ['normal', 'attack']): LabelledDataset {
  const n = binary.length;
  return {
    name: 't',
    features: { nRows: n, columns: [{ kind: 'numeric', name: 'x', values: new Float64Array(n) }] },
    binary: Uint8Array.from(binary),
    multiclass: Int32Array.from(multiclass),
    classNames,
    rawLabel: binary.map(String),
    skipped: { count: 0, examples: [] },
    files: ['t.csv'],
  };
}

describe('validateDataset', () => {
  it('accepts a two-class data set and returns it', () => {
    const d = ds([0, 1, 0]);
    expect(validateDataset(d)).toBe(d);
  });

  it('rejects no rows (D005) and a single class (D006) unless allowed', () => {
    expect(() => validateDataset(ds([]))).toThrow(expect.objectContaining({ code: 'IPQ-D005' }));
    expect(() => validateDataset(ds([1, 1]))).toThrow(expect.objectContaining({ code: 'IPQ-D006' }));
    expect(validateDataset(ds([1, 1]), { requireTwoClasses: false }).features.nRows).toBe(2);
  });

  it('treats inconsistent arrays as a programming error', () => {
    expect(() => validateDataset({ ...ds([0, 1]), rawLabel: ['0'] })).toThrow(RangeError);
    expect(() => validateDataset(ds([0, 1], [0, 2]))).toThrow(RangeError);
    expect(() => validateDataset(ds([0, 1], [0, 1], ['benign', 'attack']))).toThrow(RangeError);
  });
});
