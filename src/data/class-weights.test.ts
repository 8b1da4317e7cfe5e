import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { balancedClassWeights, balancedSampleWeights } from './class-weights.js';

function hasSklearn(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const sk = hasSklearn();

describe('balanced class weights', () => {
  it('matches n / (k * count) computed by hand', () => {
    // 6 rows: class 0 ×3, class 1 ×2, class 2 ×1; k = 3: 6/9, 6/6, 6/3.
    const y = Int32Array.of(0, 1, 0, 2, 1, 0);
    expect(Array.from(balancedClassWeights(y))).toEqual([6 / 9, 1, 2]);
    expect(Array.from(balancedSampleWeights(y))).toEqual([6 / 9, 1, 6 / 9, 2, 1, 6 / 9]);
    // An absent class: k counts present classes only (2 here), weight 0 for the absent one.
    expect(Array.from(balancedClassWeights(Uint8Array.of(0, 0, 0, 2), 4))).toEqual([4 / 6, 0, 2, 0]);
  });

  it.skipIf(!sk)('agrees with scikit-learn compute_class_weight (SKIPPED when scikit-learn is not installed)', () => {
    const y = Int32Array.from({ length: 97 }, (_, i) => (i * i) % 5);
    const out = execFileSync('/usr/bin/python3', [
      '-c',
      `import json,sys,numpy as np\nfrom sklearn.utils.class_weight import compute_class_weight\ny=np.array(${JSON.stringify(Array.from(y))})\nprint(json.dumps(compute_class_weight('balanced',classes=np.unique(y),y=y).tolist()))`,
    ]).toString();
    const ref = JSON.parse(out) as number[];
    const w = balancedClassWeights(y);
    const present = Array.from(w).filter((v) => v > 0);
    present.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 12));
  });
});
