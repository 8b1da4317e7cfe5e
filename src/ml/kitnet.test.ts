import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catchIpqsec, expectIpqsec } from '../core/_test-errors.js';
import { createRng, type Rng } from '../core/rng.js';
import { KITNET_DEFAULTS, KitNET, SCORE_BATCH } from './kitnet.js';
import { rocAuc } from './roc.js';

/** python3 on PATH with numpy and scipy (the clustering oracle). */
const hasScipy = (() => {
  try {
    execFileSync('python3', ['-c', 'import numpy, scipy.cluster.hierarchy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const SCIPY = hasScipy ? '(scipy oracle)' : '(SKIPPED: python3 with numpy and scipy not on PATH)';

/**
 * Oracle: corClust.py's procedure written with numpy and scipy — incremental sums of residuals and their outer
 * products, correlation distance 1 − C/√(Σr²Σr²ᵀ) (zero denominators 1e-100, negatives 0), scipy's single
 * linkage on the condensed matrix, and the top-down cut of the dendrogram at ≤ m leaves (pre-order leaves).
 */
const CORCLUST_PY = String.raw`
import json, sys
import numpy as np
from scipy.cluster.hierarchy import linkage, to_tree
def corclust(rows, m):
    X = np.array(rows, dtype=float); n = X.shape[1]
    c = np.zeros(n); crs = np.zeros(n); C = np.zeros((n, n))
    for N, x in enumerate(X, start=1):
        c += x
        r = x - c / N
        crs += r ** 2
        C += np.outer(r, r)
    s = np.sqrt(crs)
    den = np.outer(s, s)
    den[den == 0] = 1e-100
    D = 1 - C / den
    D[D < 0] = 0
    def cut(node):
        if node.count <= m: return [node.pre_order()]
        return cut(node.get_left()) + cut(node.get_right())
    return [[int(i) for i in cl] for cl in cut(to_tree(linkage(D[np.triu_indices(n, 1)])))]
json.dump([corclust(case['rows'], case['m']) for case in json.load(sys.stdin)], sys.stdout)
`;

/**
 * Benign synthetic traffic features: `groups` blocks of `size` features, each block driven by one latent
 * N(0, 1) variable (feature = a·z + b + 0.05·noise, a ∈ [0.5, 2], b ∈ [0, 10]): correlated within a block,
 * independent across blocks — the structure KitNET's feature mapper is meant to find.
 */
function makeWorld(seed: number, groups: number, size: number): { sample: (rng: Rng, anomaly: 'none' | 'decorrelate' | 'shift') => Float64Array; n: number } {
  const r = createRng(seed);
  const n = groups * size;
  const a = Float64Array.from({ length: n }, () => 0.5 + 1.5 * r.next());
  const b = Float64Array.from({ length: n }, () => 10 * r.next());
  return {
    n,
    sample: (rng, anomaly) => {
      const x = new Float64Array(n);
      const broken = rng.int(groups);
      for (let g = 0; g < groups; g++) {
        const z = rng.normal();
        for (let k = 0; k < size; k++) {
          const j = g * size + k;
          // Decorrelated: the same marginal distribution, but each feature of one block gets its own latent.
          const zj = anomaly === 'decorrelate' && g === broken ? rng.normal() : z;
          x[j] = a[j] * zj + b[j] + 0.05 * rng.normal();
          if (anomaly === 'shift' && g === broken) x[j] += 4 * a[j];
        }
      }
      return x;
    },
  };
}

describe('KitNET feature mapper (corClust)', () => {
  it('clusters cover every feature exactly once and respect the maximum size (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 1e6 }), (n, m, seed) => {
        const rng = createRng(seed);
        const det = new KitNET(n, { maxAutoencoderSize: m, fmGracePeriod: 20, adGracePeriod: 1, seed });
        for (let i = 0; i < 20; i++) {
          // Some constant features (zero variance) and some duplicates, to hit the 1e-100 guard and ties.
          det.learnOne(Float64Array.from({ length: n }, (_, j) => (j % 5 === 4 ? 3 : j % 7 === 6 ? i : rng.normal())));
        }
        const map = det.featureMap;
        if (map === undefined) return false;
        const all = map.flat().sort((p, q) => p - q);
        return all.length === n && all.every((f, i) => f === i) && map.every((cl) => cl.length >= 1 && cl.length <= m);
      }),
      { numRuns: 150 },
    );
  });

  it.skipIf(!hasScipy)(`builds the same clusters as corClust.py with scipy's single linkage ${SCIPY}`, () => {
    const cases = ([
      [1, 10],
      [2, 4],
      [3, 1],
      [4, 7],
    ] as const).map(([seed, m]) => {
      const world = makeWorld(seed, 5, 4);
      const rng = createRng(seed + 100);
      // Extra independent noise features so the dendrogram is not only the five blocks.
      const rows = Array.from({ length: 300 }, () => [...world.sample(rng, 'none'), rng.normal(), rng.normal() * 3]);
      const det = new KitNET(22, { maxAutoencoderSize: m, fmGracePeriod: 300, adGracePeriod: 1 });
      for (const row of rows) det.learnOne(Float64Array.from(row));
      return { rows, m, got: det.featureMap };
    });
    const expected = JSON.parse(
      execFileSync('python3', ['-c', CORCLUST_PY], { input: JSON.stringify(cases.map(({ rows, m }) => ({ rows, m }))), encoding: 'utf8', maxBuffer: 1 << 26 }),
    ) as number[][][];
    expect(cases.map((c) => c.got)).toEqual(expected);
  });

  it('puts each block of mutually correlated features in its own cluster(s)', () => {
    const world = makeWorld(9, 4, 6);
    const rng = createRng(10);
    const det = new KitNET(world.n, { fmGracePeriod: 500, adGracePeriod: 1 });
    for (let i = 0; i < 500; i++) det.learnOne(world.sample(rng, 'none'));
    const map = det.featureMap as number[][];
    expect(map).toHaveLength(4);
    for (const cl of map) expect(new Set(cl.map((f) => Math.floor(f / 6))).size).toBe(1);
  });
});

describe('KitNET grace periods and warm-up', () => {
  it('learns during FM + AD grace, throws IPQ-M008 from scoreOne before, and process scores only after', () => {
    const det = new KitNET(3, { fmGracePeriod: 5, adGracePeriod: 7 });
    expect(det.warmUp).toBe(12);
    const x = Float64Array.of(1, 2, 3);
    for (let i = 0; i < 12; i++) {
      expect(det.isWarm()).toBe(false);
      expectIpqsec(() => det.scoreOne(x), 'IPQ-M008');
      expect(det.featureMap === undefined).toBe(i < 5);
      expect(det.process(Float64Array.of(i, 2 * i, -i))).toBe(0);
    }
    expect(det.isWarm()).toBe(true);
    expect(det.learned).toBe(12);
    const s = det.process(x);
    expect(s).toBeGreaterThan(0);
    expect(det.learned).toBe(12); // process after warm-up scores without learning
    expect(det.scoreOne(x)).toBe(s);
  });

  it('with a given feature map skips the FM phase; checks its options (IPQ-M006) and input length (RangeError)', () => {
    const det = new KitNET(4, { featureMap: [[0, 2], [1], [3]], adGracePeriod: 3 });
    expect(det.fmGracePeriod).toBe(0);
    expect(det.warmUp).toBe(3);
    expect(det.featureMap).toEqual([[0, 2], [1], [3]]);
    const bad = (o: ConstructorParameters<typeof KitNET>[1]): boolean => catchIpqsec(() => new KitNET(4, o), 'IPQ-M006') !== undefined;
    expect(bad({ featureMap: [[0, 0]] })).toBe(true);
    expect(bad({ featureMap: [[4]] })).toBe(true);
    expect(bad({ featureMap: [[]] })).toBe(true);
    expect(bad({ maxAutoencoderSize: 0 })).toBe(true);
    expect(bad({ adGracePeriod: 0 })).toBe(true);
    expect(bad({ fmGracePeriod: 1.5 })).toBe(true);
    expect(bad({ learningRate: 0 })).toBe(true);
    expect(bad({ hiddenRatio: Number.NaN })).toBe(true);
    expect(() => new KitNET(0)).toThrow(RangeError);
    expect(() => det.learnOne(new Float64Array(5))).toThrow(RangeError);
    expect(KITNET_DEFAULTS).toMatchObject({ maxAutoencoderSize: 10, fmGracePeriod: 5000, adGracePeriod: 50000, learningRate: 0.1, hiddenRatio: 0.75 });
  });
});

describe('KitNET detection on seeded synthetic traffic features', () => {
  const world = makeWorld(21, 5, 6);
  const train = (seed: number): KitNET => {
    const det = new KitNET(world.n, { fmGracePeriod: 1000, adGracePeriod: 15_000, seed });
    const rng = createRng(22);
    while (!det.isWarm()) det.process(world.sample(rng, 'none'));
    return det;
  };
  const det = train(5);

  it('scores injected anomalies far above benign vectors (AUC > 0.9 for shifted and for decorrelated blocks)', () => {
    const rng = createRng(23);
    const benign = Array.from({ length: 2000 }, () => det.scoreOne(world.sample(rng, 'none')));
    for (const kind of ['shift', 'decorrelate'] as const) {
      const anomalous = Array.from({ length: 200 }, () => det.scoreOne(world.sample(rng, kind)));
      const y = [...benign.map(() => 0), ...anomalous.map(() => 1)];
      const auc = rocAuc(y, [...benign, ...anomalous]);
      expect(auc, kind).toBeGreaterThan(0.9);
    }
  });

  it('is deterministic for a seed; scoring neither learns nor depends on earlier scoring; reads NaN/±∞ as 0', () => {
    const again = train(5);
    const rng = createRng(24);
    const probes = Array.from({ length: 50 }, () => world.sample(rng, 'none'));
    const a = probes.map((x) => det.scoreOne(x));
    const b = probes.map((x) => again.scoreOne(x));
    expect(b).toEqual(a);
    expect(probes.map((x) => det.scoreOne(x))).toEqual(a);
    const other = train(6);
    expect(probes.map((x) => other.scoreOne(x))).not.toEqual(a);
    const weird = probes[0].slice();
    weird[0] = Number.NaN;
    weird[1] = Number.POSITIVE_INFINITY;
    const zeroed = probes[0].slice();
    zeroed[0] = 0;
    zeroed[1] = 0;
    expect(det.scoreOne(weird)).toBe(det.scoreOne(zeroed));
    expect(Number.isFinite(det.scoreOne(weird))).toBe(true);
  });
});

describe('KitNET.scoreBatch', () => {
  it('gives exactly the scores of scoreOne, vector by vector, for any batch size up to SCORE_BATCH', () => {
    const n = 37;
    const rng = createRng(11);
    const det = new KitNET(n, { fmGracePeriod: 300, adGracePeriod: 700, seed: 5 });
    const x = new Float64Array(n);
    expect(() => det.scoreBatch(new Float64Array(n), 1, new Float64Array(1))).toThrow(/IPQ-M008/);
    for (let i = 0; i < 1000; i++) {
      for (let j = 0; j < n; j++) x[j] = Math.sin(j) * 10 + rng.next() * (1 + (j % 5));
      det.learnOne(x);
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SCORE_BATCH }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (count, seed) => {
        const r = createRng(seed);
        const xs = Float64Array.from({ length: count * n }, (_, k) => Math.sin(k % n) * 10 + r.next() * 20 - 5 + (k % 97 === 0 ? Number.NaN : 0));
        const out = new Float64Array(SCORE_BATCH).fill(-1);
        det.scoreBatch(xs, count, out);
        for (let b = 0; b < count; b++) expect(Math.abs(out[b]! - det.scoreOne(xs.subarray(b * n, b * n + n)))).toBeLessThan(1e-12);
        expect(out[count] ?? -1).toBe(-1);
      }),
      { numRuns: 30 },
    );
    expect(() => det.scoreBatch(new Float64Array((SCORE_BATCH + 1) * n), SCORE_BATCH + 1, new Float64Array(SCORE_BATCH + 1))).toThrow(RangeError);
    expect(() => det.scoreBatch(new Float64Array(n), 2, new Float64Array(2))).toThrow(RangeError);
  });
});
