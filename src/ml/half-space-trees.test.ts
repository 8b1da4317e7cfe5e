import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { HalfSpaceTrees } from './half-space-trees.js';
import { rocAuc } from './roc.js';
import { runStreamingDetectorContract } from './streaming.case.js';

runStreamingDetectorContract('HalfSpaceTrees, paper defaults (25 trees, height 15, window 250), limits learnt', (seed, d) => new HalfSpaceTrees(d, { seed }));
runStreamingDetectorContract('HalfSpaceTrees, river defaults (10 trees, height 8, window 100), limits [-4, 4] given', (seed, d) =>
  new HalfSpaceTrees(d, { seed, nTrees: 10, height: 8, windowSize: 100, limits: Array.from({ length: d }, () => [-4, 4] as const) }));

const one = (v: number): Float64Array => Float64Array.of(v);

describe('HalfSpaceTrees, hand-computed mass profiles', () => {
  // One tree of height 1 over one feature in [0, 1]: the root splits at some t in [0.15, 0.85].
  // Window 4, size limit 0.4, max score = 1 · 4 · (2² − 1) = 12.
  it('scores r·2^depth along the path against the reference window, and pivots every window', () => {
    const hst = new HalfSpaceTrees(1, { nTrees: 1, height: 1, windowSize: 4, limits: [[0, 1]], seed: 3 });
    for (let i = 0; i < 4; i++) hst.learnOne(one(0));
    // Reference: root 4, left 4, right 0.
    expect(hst.scoreOne(one(0))).toBe(0); // 1 − (4·1 + 4·2)/12
    expect(hst.scoreOne(one(1))).toBeCloseTo(2 / 3, 15); // 1 − (4·1 + 0·2)/12
    // Half a window of points at 1: the reference does not change yet.
    hst.learnOne(one(1));
    hst.learnOne(one(1));
    expect(hst.scoreOne(one(0))).toBe(0);
    hst.learnOne(one(1));
    hst.learnOne(one(1));
    // New reference: root 4, left 0, right 4.
    expect(hst.scoreOne(one(0))).toBeCloseTo(2 / 3, 15);
    expect(hst.scoreOne(one(1))).toBe(0);
  });

  it('stops the walk at the first node below the size limit (0.1 · window)', () => {
    // Window 20 (size limit 2): 19 points at 0 and 1 at 1. Root 20, left 19, right 1 < 2.
    const hst = new HalfSpaceTrees(1, { nTrees: 1, height: 2, windowSize: 20, limits: [[0, 1]], seed: 1 });
    for (let i = 0; i < 19; i++) hst.learnOne(one(0));
    hst.learnOne(one(1));
    // x = 1 goes right at the root (split ≤ 0.85) and stops there: total = 20 + 1·2 = 22 of 20·7 = 140.
    expect(hst.scoreOne(one(1))).toBeCloseTo(1 - 22 / 140, 15);
  });

  it('learning the limits from the first window equals giving its min/max up-front', () => {
    const rng = createRng(11);
    const d = 3;
    const stream = Array.from({ length: 600 }, () => Float64Array.from({ length: d }, () => rng.normal() * 3 + 10));
    const first = stream.slice(0, 100);
    const limits = Array.from({ length: d }, (_, j) => [Math.min(...first.map((x) => x[j])), Math.max(...first.map((x) => x[j]))] as const);
    const learnt = new HalfSpaceTrees(d, { nTrees: 5, height: 6, windowSize: 100, seed: 9 });
    const given = new HalfSpaceTrees(d, { nTrees: 5, height: 6, windowSize: 100, seed: 9, limits });
    for (const x of stream) {
      learnt.learnOne(x);
      given.learnOne(x);
      expect(learnt.scoreOne(x)).toBeCloseTo(given.scoreOne(x), 12);
    }
  });

  it('detects injected anomalies in a progressive score-then-learn stream (AUC > 0.95)', () => {
    const rng = createRng(12);
    const d = 5;
    const hst = new HalfSpaceTrees(d, { seed: 1 });
    const labels: number[] = [];
    const scores: number[] = [];
    const x = new Float64Array(d);
    for (let i = 0; i < 5000; i++) {
      const anomalous = i > 500 && rng.next() < 0.01;
      for (let j = 0; j < d; j++) x[j] = anomalous ? 4 + rng.normal() : rng.normal();
      if (hst.isWarm()) {
        labels.push(anomalous ? 1 : 0);
        scores.push(hst.scoreOne(x));
      }
      hst.learnOne(x);
    }
    expect(rocAuc(labels, scores)).toBeGreaterThan(0.95);
  });

  it('rejects bad hyper-parameters (IPQ-M006) and a bad feature count (RangeError)', () => {
    const bad = [
      { nTrees: 0 },
      { height: 0 },
      { height: 21 },
      { windowSize: 0 },
      { seed: 0.5 },
      { nTrees: 1000, height: 15 },
      { limits: [[0, 1]] as const },
      { limits: [[1, 1], [0, 1]] as const },
      { limits: [[0, Infinity], [0, 1]] as const },
    ];
    for (const p of bad) {
      let err: unknown;
      try {
        new HalfSpaceTrees(2, p);
      } catch (e) {
        err = e;
      }
      expect(isIpqsecError(err, 'IPQ-M006'), JSON.stringify(p)).toBe(true);
    }
    expect(() => new HalfSpaceTrees(0)).toThrow(RangeError);
  });
});
