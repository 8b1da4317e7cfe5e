import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasSklearn, ORACLE, python } from '../../test/sklearn-oracle.js';
import { createRng } from '../core/rng.js';
import {
  binaryConfusion,
  binaryMetrics,
  confusionMatrix,
  downsampleRoc,
  mean,
  median,
  multiclassMetrics,
  rocAuc,
  rocAucOvr,
  rocCurve,
  std,
} from './metrics.js';


/** Brute-force Mann–Whitney AUC over all positive/negative pairs: the definition, O(P·N). */
function pairwiseAuc(y: ArrayLike<number>, s: ArrayLike<number>): number {
  let num = 0;
  let pairs = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return num / pairs;
}

/** Trapezoidal area under a ROC curve. */
function trapezoid(c: { fpr: number[]; tpr: number[] }): number {
  let a = 0;
  for (let i = 1; i < c.fpr.length; i++) a += ((c.fpr[i] - c.fpr[i - 1]) * (c.tpr[i] + c.tpr[i - 1])) / 2;
  return a;
}

describe('binary metrics, hand-computed', () => {
  it('ROC AUC and curve of the scikit-learn documentation example', () => {
    const y = [0, 0, 1, 1];
    const s = [0.1, 0.4, 0.35, 0.8];
    expect(rocAuc(y, s)).toBe(0.75);
    const c = rocCurve(y, s);
    expect(c.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(c.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(c.thresholds).toEqual([Infinity, 0.8, 0.4, 0.35, 0.1]);
  });

  it('ties count one half', () => {
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    // positives 2 and 3 against negatives 1 and 2: 1 + 0.5 + 1 + 1 = 3.5 of 4 pairs
    expect(rocAuc([0, 0, 1, 1], [1, 2, 2, 3])).toBe(0.875);
    expect(rocCurve([0, 0, 1, 1], [1, 2, 2, 3])).toEqual({ fpr: [0, 0, 0.5, 1], tpr: [0, 0.5, 1, 1], thresholds: [Infinity, 3, 2, 1] });
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
  });

  it('confusion, accuracy, precision, recall, F1, FPR', () => {
    const m = binaryMetrics([1, 1, 1, 0, 0, 0, 0, 1], [1, 0, 1, 0, 1, 0, 0, 1], [0.9, 0.2, 0.8, 0.1, 0.7, 0.3, 0.2, 0.6]);
    expect(m.confusion).toEqual({ tn: 3, fp: 1, fn: 1, tp: 3 });
    expect(m.accuracy).toBe(0.75);
    expect(m.precision).toBe(0.75);
    expect(m.recall).toBe(0.75);
    expect(m.f1).toBeCloseTo(0.75, 15);
    expect(m.fpr).toBe(0.25);
    // positives 0.9, 0.8, 0.6, 0.2 vs negatives 0.7, 0.3, 0.2, 0.1: 4 + 4 + 3 + (1 + 0.5) = 12.5 of 16
    expect(m.roc_auc).toBe(12.5 / 16);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it('zero division gives 0 and a missing class gives roc_auc null', () => {
    const m = binaryMetrics([0, 0, 0], [0, 0, 0], [0.1, 0.2, 0.3]);
    expect(m).toEqual({ accuracy: 1, precision: 0, recall: 0, f1: 0, fpr: 0, roc_auc: null, confusion: { tn: 3, fp: 0, fn: 0, tp: 0 } });
    expect(binaryMetrics([1, 1], [1, 1]).fpr).toBe(0);
    expect(binaryMetrics([1, 0], [0, 0]).roc_auc).toBeNull();
  });

  it('rejects misuse with RangeError', () => {
    expect(() => binaryConfusion([0, 1], [0])).toThrow(RangeError);
    expect(() => binaryConfusion([0, 2], [0, 1])).toThrow(RangeError);
    expect(() => rocAuc([0, 1], [0.5, NaN])).toThrow(RangeError);
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(RangeError);
    expect(() => downsampleRoc(rocCurve([0, 1], [0, 1]), 1)).toThrow(RangeError);
  });
});

describe('multiclass metrics, hand-computed', () => {
  it('matches the scikit-learn classification_report documentation example', () => {
    // y_true = [0, 1, 2, 2, 2], y_pred = [0, 0, 2, 2, 1]
    const m = multiclassMetrics([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], 3);
    expect(m.confusion).toEqual([[1, 0, 0], [1, 0, 0], [0, 1, 2]]);
    expect(m.accuracy).toBe(0.6);
    expect(m.perClass[0]).toEqual({ precision: 0.5, recall: 1, f1: expect.closeTo(2 / 3, 15), support: 1 });
    expect(m.perClass[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(m.perClass[2].precision).toBe(1);
    expect(m.perClass[2].recall).toBeCloseTo(2 / 3, 15);
    expect(m.perClass[2].f1).toBeCloseTo(0.8, 15);
    expect(m.macro.precision).toBeCloseTo(0.5, 15);
    expect(m.macro.recall).toBeCloseTo(5 / 9, 15);
    expect(m.macro.f1).toBeCloseTo((2 / 3 + 0.8) / 3, 15);
    expect(m.weighted.precision).toBeCloseTo(0.7, 15);
    expect(m.weighted.recall).toBeCloseTo(0.6, 15);
    expect(m.weighted.f1).toBeCloseTo((2 / 3 + 2.4) / 5, 15);
    expect(m.roc_auc_ovr_macro).toBeNull();
  });

  it('one-vs-rest AUC averages the per-class AUCs and skips classes without positives', () => {
    // class 0: pos scores [0.7], neg [0.2, 0.1] -> 1; class 1: pos [0.6], neg [0.2, 0.3] -> 1;
    // class 2: pos [0.1], neg [0.1, 0.2] -> 0.25; class 3 absent.
    const proba = [0.7, 0.2, 0.1, 0, 0.2, 0.6, 0.2, 0, 0.1, 0.3, 0.1, 0.5];
    expect(rocAucOvr([0, 1, 2], proba, 4)).toBeCloseTo((1 + 1 + 0.25) / 3, 15);
  });

  it('mean, median, std', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(std([2, 4, 4, 4, 5, 5, 7, 9], 0)).toBe(2);
    expect(std([1, 3])).toBeCloseTo(Math.SQRT2, 15);
    expect(mean([])).toBeNaN();
  });
});

describe('ROC properties (fast-check)', () => {
  const labelled = fc
    .array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: -30, max: 30 })), { minLength: 2, maxLength: 80 })
    .filter((a) => a.some(([y]) => y === 1) && a.some(([y]) => y === 0));

  it('AUC is in [0, 1] and equals the pairwise Mann–Whitney count and the trapezoid under the curve', () => {
    fc.assert(
      fc.property(labelled, (a) => {
        const y = a.map(([l]) => l);
        const s = a.map(([, v]) => v / 7);
        const auc = rocAuc(y, s);
        expect(auc).toBeGreaterThanOrEqual(0);
        expect(auc).toBeLessThanOrEqual(1);
        expect(auc).toBeCloseTo(pairwiseAuc(y, s), 12);
        expect(trapezoid(rocCurve(y, s))).toBeCloseTo(auc, 12);
        expect(trapezoid(rocCurve(y, s, { dropIntermediate: true }))).toBeCloseTo(auc, 12);
      }),
    );
  });

  it('AUC(−s) = 1 − AUC(s), and AUC is invariant under strictly increasing transforms (ties included)', () => {
    fc.assert(
      fc.property(labelled, (a) => {
        const y = a.map(([l]) => l);
        const s = a.map(([, v]) => v);
        const auc = rocAuc(y, s);
        expect(rocAuc(y, s.map((v) => -v))).toBeCloseTo(1 - auc, 12);
        expect(rocAuc(y, s.map((v) => v * v * v + 5 * v))).toBe(auc);
        expect(rocAuc(y, s.map((v) => Math.atan(v / 10)))).toBe(auc);
      }),
    );
  });

  it('downsampleRoc keeps endpoints, at most maxPoints, monotone, and nearly the same area', () => {
    fc.assert(
      fc.property(fc.integer({ min: 50, max: 2000 }), fc.integer({ min: 2, max: 60 }), fc.integer(), (n, maxPoints, seed) => {
        const rng = createRng(seed);
        const y = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
        const s = y.map((l) => rng.normal() + l);
        const full = rocCurve(y, s);
        const small = downsampleRoc(full, maxPoints);
        expect(small.fpr.length).toBeLessThanOrEqual(maxPoints);
        expect(small.fpr[0]).toBe(0);
        expect(small.tpr[0]).toBe(0);
        expect(small.fpr.at(-1)).toBe(1);
        expect(small.tpr.at(-1)).toBe(1);
        for (let i = 1; i < small.fpr.length; i++) {
          expect(small.fpr[i]).toBeGreaterThanOrEqual(small.fpr[i - 1]);
          expect(small.tpr[i]).toBeGreaterThanOrEqual(small.tpr[i - 1]);
          expect(small.thresholds[i]).toBeLessThan(small.thresholds[i - 1]);
        }
        if (maxPoints >= 20) expect(Math.abs(trapezoid(small) - trapezoid(full))).toBeLessThan(0.05);
      }),
      { numRuns: 40 },
    );
  });
});

describe(`metrics against scikit-learn ${ORACLE}`, () => {
  const rng = createRng(2024);
  const n = 600;
  const K = 4;
  // Binary: noisy predictions, scores rounded to one decimal so that ties are frequent.
  const yb = Array.from({ length: n }, () => (rng.next() < 0.35 ? 1 : 0));
  const pb = yb.map((l) => (rng.next() < 0.8 ? l : 1 - l));
  const sb = yb.map((l) => Math.round((rng.normal() + l) * 10) / 10);
  // Multiclass: class 3 is never predicted (zero-division precision), probabilities from a softmax of noise.
  const ym = Array.from({ length: n }, () => rng.int(K));
  const pm = ym.map((l) => (rng.next() < 0.6 ? Math.min(l, 2) : rng.int(3)));
  const proba: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: K }, (_, k) => Math.round((rng.normal() + (k === ym[i] ? 1 : 0)) * 4) / 4);
    const e = z.map(Math.exp);
    const sum = e.reduce((a, b) => a + b, 0);
    proba.push(...e.map((v) => v / sum));
  }

  const ref = hasSklearn
    ? python<{
        accuracy: number; precision: number; recall: number; f1: number; auc: number; cm: number[][];
        roc: { fpr: number[]; tpr: number[]; thr: number[] }; rocDrop: { fpr: number[]; tpr: number[]; thr: number[] };
        mAccuracy: number; mCm: number[][]; report: Record<string, Record<string, number>>; mAuc: number;
      }>(
        `
import json, sys, numpy as np
from sklearn import metrics as M
d = json.load(sys.stdin)
yb, pb, sb = np.array(d['yb']), np.array(d['pb']), np.array(d['sb'])
ym, pm, K = np.array(d['ym']), np.array(d['pm']), d['K']
proba = np.array(d['proba']).reshape(-1, K)
def roc(drop):
    f, t, th = M.roc_curve(yb, sb, drop_intermediate=drop)
    return {'fpr': f.tolist(), 'tpr': t.tolist(), 'thr': th[1:].tolist()}
print(json.dumps({
  'accuracy': M.accuracy_score(yb, pb), 'precision': M.precision_score(yb, pb, zero_division=0),
  'recall': M.recall_score(yb, pb, zero_division=0), 'f1': M.f1_score(yb, pb, zero_division=0),
  'auc': M.roc_auc_score(yb, sb), 'cm': M.confusion_matrix(yb, pb).tolist(), 'roc': roc(False), 'rocDrop': roc(True),
  'mAccuracy': M.accuracy_score(ym, pm), 'mCm': M.confusion_matrix(ym, pm, labels=list(range(K))).tolist(),
  'report': M.classification_report(ym, pm, labels=list(range(K)), output_dict=True, zero_division=0),
  'mAuc': M.roc_auc_score(ym, proba, multi_class='ovr', average='macro', labels=list(range(K))),
}))
`,
        { yb, pb, sb, ym, pm, K, proba },
      )
    : undefined;

  const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12);

  it.skipIf(!hasSklearn)('binary: accuracy, precision, recall, F1, ROC AUC, confusion matrix to 1e-12', () => {
    const m = binaryMetrics(yb, pb, sb);
    close(m.accuracy, ref!.accuracy);
    close(m.precision, ref!.precision);
    close(m.recall, ref!.recall);
    close(m.f1, ref!.f1);
    close(m.roc_auc!, ref!.auc);
    expect([[m.confusion.tn, m.confusion.fp], [m.confusion.fn, m.confusion.tp]]).toEqual(ref!.cm);
    const fp = ref!.cm[0][1];
    close(m.fpr, fp / (fp + ref!.cm[0][0]));
  });

  it.skipIf(!hasSklearn)('binary: ROC curve points with and without drop_intermediate', () => {
    for (const [drop, r] of [[false, ref!.roc], [true, ref!.rocDrop]] as const) {
      const c = rocCurve(yb, sb, { dropIntermediate: drop });
      expect(c.fpr.length).toBe(r.fpr.length);
      c.fpr.forEach((v, i) => close(v, r.fpr[i]));
      c.tpr.forEach((v, i) => close(v, r.tpr[i]));
      expect(c.thresholds.slice(1)).toEqual(r.thr);
      expect(c.thresholds[0]).toBe(Infinity);
    }
  });

  it.skipIf(!hasSklearn)('multiclass: accuracy, confusion, per-class and averaged report, OvR macro AUC to 1e-12', () => {
    const m = multiclassMetrics(ym, pm, K, proba);
    close(m.accuracy, ref!.mAccuracy);
    expect(m.confusion).toEqual(ref!.mCm);
    for (let k = 0; k < K; k++) {
      const r = ref!.report[String(k)];
      close(m.perClass[k].precision, r.precision);
      close(m.perClass[k].recall, r.recall);
      close(m.perClass[k].f1, r['f1-score']);
      expect(m.perClass[k].support).toBe(r.support);
    }
    expect(m.perClass[3].precision).toBe(0); // never predicted
    for (const [ours, key] of [[m.macro, 'macro avg'], [m.weighted, 'weighted avg']] as const) {
      close(ours.precision, ref!.report[key].precision);
      close(ours.recall, ref!.report[key].recall);
      close(ours.f1, ref!.report[key]['f1-score']);
    }
    close(m.roc_auc_ovr_macro!, ref!.mAuc);
  });
});
