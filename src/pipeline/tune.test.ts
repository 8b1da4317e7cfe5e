import { describe, expect, it } from 'vitest';
import { parseCsvText } from '../data/csv-reader.js';
import type { LabelledDataset } from '../data/table.js';
import { novelClassFolds, tune } from './tune.js';

function dataset(): LabelledDataset {
  const types = ['normal', 'neptune', 'smurf', 'satan', 'guess_passwd', 'teardrop'];
  const rows: string[] = ['x,y'];
  const raw: string[] = [];
  const binary: number[] = [];
  for (let i = 0; i < 600; i++) {
    const t = types[i % types.length];
    // Normal traffic at the origin; each attack type in its own direction, 5 units out.
    const k = types.indexOf(t);
    const [cx, cy] = k === 0 ? [0, 0] : [5 * Math.cos((k * 2 * Math.PI) / 5), 5 * Math.sin((k * 2 * Math.PI) / 5)];
    rows.push(`${cx + (i % 7) / 7 - 0.5},${cy + (i % 5) / 5 - 0.5}`);
    raw.push(t);
    binary.push(t === 'normal' ? 0 : 1);
  }
  return {
    name: 't',
    features: parseCsvText(rows.join('\n')).table,
    binary: Uint8Array.from(binary),
    multiclass: Int32Array.from(binary),
    classNames: ['normal', 'attack'],
    rawLabel: raw,
    skipped: { count: 0, examples: [] },
    files: [],
  };
}

describe('novel-class CV', () => {
  it('holds out every attack type whole, once, and keeps normal rows in every fold', () => {
    const ds = dataset();
    const folds = novelClassFolds(ds, 3, 1);
    expect(folds).toHaveLength(3);
    const seen = new Map<string, number>();
    for (const [f, s] of folds.entries()) {
      const testTypes = new Set(Array.from(s.test, (i) => ds.rawLabel[i]));
      const trainTypes = new Set(Array.from(s.train, (i) => ds.rawLabel[i]));
      expect(testTypes.has('normal')).toBe(true);
      for (const t of testTypes) {
        if (t === 'normal') continue;
        expect(trainTypes.has(t)).toBe(false);
        seen.set(t, f);
      }
      expect(s.train.length + s.test.length).toBe(600);
    }
    expect([...seen.keys()].sort()).toEqual(['guess_passwd', 'neptune', 'satan', 'smurf', 'teardrop']);
  });

  it('ranks a detector that flags the unusual above one that only knows the attacks it saw', async () => {
    const r = await tune(
      dataset(),
      [
        { name: 'gbdt', model: 'gbdt', params: { maxIter: 20, minSamplesLeaf: 5 } },
        { name: 'hybrid', model: 'hybrid', params: { 'gbdt.maxIter': 20, 'gbdt.minSamplesLeaf': 5, quantile: 0.9 } },
      ],
      'novel-class',
      { k: 3, seed: 1 },
    );
    expect(r.scores).toHaveLength(2);
    expect(r.best.name).toBe('hybrid');
    for (const s of r.scores) expect(s.folds).toHaveLength(3);
  });
});
