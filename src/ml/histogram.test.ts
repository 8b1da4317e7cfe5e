import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { MISSING_BIN } from './binning.js';
import {
  buildClassHist,
  buildGradHist,
  buildSparseRows,
  GRAD_STRIDE,
  gradHistLength,
  newCandidate,
  nodeScore,
  scanFeature,
  scanGradFeature,
  subtractHist,
} from './histogram.js';
import type { SplitConstraints } from './histogram.js';

/** Random column-major bins with skewed bins (many mode values) and some missing values. */
function randomBins(n: number, nBins: number[], seed: number): Uint8Array {
  const rng = createRng(seed);
  const F = nBins.length;
  const bins = new Uint8Array(n * F);
  for (let f = 0; f < F; f++) {
    for (let r = 0; r < n; r++) {
      const u = rng.next();
      bins[f * n + r] = u < 0.05 ? MISSING_BIN : u < 0.6 ? 0 : rng.int(nBins[f]);
    }
  }
  return bins;
}

describe('buildGradHist', () => {
  it('equals a naive dense per-(feature, bin) sum over the node rows, mode bins included', () => {
    const n = 500;
    const nBins = Int32Array.from([5, 1, 17, 3]);
    const bins = randomBins(n, Array.from(nBins), 1);
    const sp = buildSparseRows(bins, n, nBins);
    const rng = createRng(2);
    const gh = Float64Array.from({ length: 2 * n }, () => rng.next() - 0.3);
    const rows = Int32Array.from({ length: 200 }, (_, i) => i * 2 + 1);
    const hist = new Float64Array(gradHistLength(sp));
    const totals = new Float64Array(3);
    buildGradHist(hist, totals, sp, rows, 0, rows.length, gh);
    for (let f = 0; f < nBins.length; f++) {
      if (sp.active[f] === 0) continue;
      for (let b = 0; b <= nBins[f]; b++) {
        const bin = b === nBins[f] ? MISSING_BIN : b;
        let g = 0;
        let h = 0;
        let c = 0;
        for (const r of rows) {
          if (bins[f * n + r] === bin) {
            g += gh[2 * r];
            h += gh[2 * r + 1];
            c++;
          }
        }
        const o = (sp.slotStart[f] + b) * GRAD_STRIDE;
        expect(hist[o]).toBeCloseTo(g, 10);
        expect(hist[o + 1]).toBeCloseTo(h, 10);
        expect(hist[o + 2]).toBeCloseTo(c, 10);
      }
    }
    expect(totals[2]).toBe(200);
  });

  it('parent − child histogram equals the sibling histogram', () => {
    const n = 300;
    const nBins = Int32Array.from([9, 4]);
    const bins = randomBins(n, Array.from(nBins), 3);
    const sp = buildSparseRows(bins, n, nBins);
    const gh = Float64Array.from({ length: 2 * n }, (_, i) => Math.sin(i));
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const L = gradHistLength(sp);
    const [p, a, b] = [new Float64Array(L), new Float64Array(L), new Float64Array(L)];
    const t = new Float64Array(3);
    buildGradHist(p, t, sp, all, 0, n, gh);
    buildGradHist(a, t, sp, all, 0, 120, gh);
    buildGradHist(b, t, sp, all, 120, n, gh);
    subtractHist(p, a, L);
    for (let i = 0; i < L; i++) expect(p[i]).toBeCloseTo(b[i], 9);
  });
});

describe('scanFeature', () => {
  const brute = (x: number[], y: number[], cons: SplitConstraints, nb: number) => {
    // Independent oracle: Gini score of every threshold, missing (bin 255) sent either way.
    let bestGain = -Infinity;
    const score = (idx: number[]) => {
      const w = [0, 0];
      for (const i of idx) w[y[i]]++;
      const W = w[0] + w[1];
      return W > 0 ? (w[0] * w[0] + w[1] * w[1]) / W : 0;
    };
    const all = x.map((_, i) => i);
    const parent = score(all);
    for (const missLeft of [false, true]) {
      for (let t = 0; t < nb; t++) {
        const L = all.filter((i) => (x[i] === MISSING_BIN ? missLeft : x[i] <= t));
        const R = all.filter((i) => !L.includes(i));
        if (L.length < cons.minSamplesLeaf || R.length < cons.minSamplesLeaf) continue;
        bestGain = Math.max(bestGain, score(L) + score(R) - parent);
      }
    }
    return bestGain;
  };

  it('finds the Gini-optimal threshold of a feature (brute-force oracle)', () => {
    const rng = createRng(9);
    for (let trial = 0; trial < 30; trial++) {
      const n = 40;
      const nb = 6;
      const x = Array.from({ length: n }, () => (rng.next() < 0.1 ? MISSING_BIN : rng.int(nb)));
      const y = x.map((v) => (v === MISSING_BIN ? (rng.next() < 0.8 ? 1 : 0) : rng.next() < v / nb ? 1 : 0));
      const cons: SplitConstraints = { criterion: 'gini', stride: 3, lambda: 0, minSamplesLeaf: 3, minChildWeight: 0 };
      const block = new Float64Array(256 * 3);
      const bins = Uint8Array.from(x);
      buildClassHist(block, bins, n, 0, Int32Array.from({ length: n }, (_, i) => i), 0, n, Int32Array.from(y), new Float64Array(n).fill(1), 2);
      const tot = new Float64Array(3);
      for (let i = 0; i < n; i++) {
        tot[y[i]]++;
        tot[2]++;
      }
      const best = newCandidate(3);
      scanFeature(block, 0, nb, MISSING_BIN, 0, tot, nodeScore(tot, 0, cons), cons, best);
      const want = brute(x, y, cons, nb);
      if (want === -Infinity) expect(best.gain).toBe(-Infinity);
      else expect(best.gain).toBeCloseTo(want, 10);
    }
  });
});

describe('scanGradFeature', () => {
  it('finds the best gradient-gain split (brute-force oracle) and matches the generic scan bit for bit', () => {
    const rng = createRng(21);
    for (let trial = 0; trial < 40; trial++) {
      const n = 60;
      const nb = 2 + rng.int(7);
      const withMissing = trial % 3 !== 0;
      const x = Array.from({ length: n }, () => (withMissing && rng.next() < 0.15 ? MISSING_BIN : rng.int(nb)));
      const g = x.map(() => rng.next() - 0.5);
      const h = x.map(() => 0.05 + rng.next() * 0.2);
      const cons: SplitConstraints = {
        criterion: 'gradient',
        stride: GRAD_STRIDE,
        lambda: trial % 2 === 0 ? 0 : 1.5,
        minSamplesLeaf: 1 + (trial % 5),
        minChildWeight: trial % 4 === 0 ? 0.8 : 1e-3,
      };
      // Histogram block laid out as in gbdt: nb value slots then the missing slot.
      const hist = new Float64Array((nb + 1) * GRAD_STRIDE);
      const tot = new Float64Array(GRAD_STRIDE);
      for (let i = 0; i < n; i++) {
        const o = (x[i] === MISSING_BIN ? nb : x[i]) * GRAD_STRIDE;
        hist[o] += g[i];
        hist[o + 1] += h[i];
        hist[o + 2] += 1;
        tot[0] += g[i];
        tot[1] += h[i];
        tot[2] += 1;
      }
      const parent = nodeScore(tot, 0, cons);
      // Oracle: every threshold and missing direction, sums straight from the rows.
      let want = -Infinity;
      for (const missLeft of [false, true]) {
        for (let t = 0; t < nb; t++) {
          let GL = 0;
          let HL = 0;
          let cL = 0;
          for (let i = 0; i < n; i++) {
            if (x[i] === MISSING_BIN ? missLeft : x[i] <= t) {
              GL += g[i];
              HL += h[i];
              cL++;
            }
          }
          const GR = tot[0] - GL;
          const HR = tot[1] - HL;
          if (cL < cons.minSamplesLeaf || n - cL < cons.minSamplesLeaf || HL < cons.minChildWeight || HR < cons.minChildWeight) continue;
          want = Math.max(want, (GL * GL) / (HL + cons.lambda) + (GR * GR) / (HR + cons.lambda) - parent);
        }
      }
      const fast = newCandidate(GRAD_STRIDE);
      scanGradFeature(hist, 0, nb, nb, 3, tot, parent, cons, fast);
      const generic = newCandidate(GRAD_STRIDE);
      scanFeature(hist, 0, nb, nb, 3, tot, parent, cons, generic);
      if (want === -Infinity) expect(fast.gain).toBe(-Infinity);
      else expect(fast.gain).toBeCloseTo(want, 10);
      expect({ ...fast, left: Array.from(fast.left) }).toEqual({ ...generic, left: Array.from(generic.left) });
    }
  });
});
