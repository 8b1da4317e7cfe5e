import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { catchIpqsec, expectIpqsec } from '../core/_test-errors.js';
import { createRng } from '../core/rng.js';
import { LogNormalThreshold, normalCdf, normalQuantile, normalSf } from './lognormal-threshold.js';

/** python3 on PATH with scipy (oracle for Φ⁻¹ and 1 − Φ). */
const hasScipy = (() => {
  try {
    execFileSync('python3', ['-c', 'import scipy.stats'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const SCIPY = hasScipy ? '(scipy oracle)' : '(SKIPPED: python3 with scipy not on PATH)';

function relClose(a: number, b: number, rel: number): boolean {
  return a === b || Math.abs(a - b) <= rel * Math.abs(b);
}

describe('normal quantile (Wichura AS 241) and tail (Cody)', () => {
  it('matches published values of Φ⁻¹ (Abramowitz & Stegun Table 26.5)', () => {
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232306, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 9);
    expect(normalQuantile(0.95)).toBeCloseTo(1.644853627, 9);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326347874, 9);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959963985, 9);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(() => normalQuantile(1.5)).toThrow(RangeError);
    expect(() => normalQuantile(Number.NaN)).toThrow(RangeError);
  });

  it('matches published values of the upper tail Q(x) = 1 − Φ(x) (A&S Table 26.1)', () => {
    expect(relClose(normalSf(3), 1.3498980316301e-3, 1e-12)).toBe(true);
    expect(relClose(normalSf(10), 7.6198530241605e-24, 1e-12)).toBe(true);
    expect(relClose(normalSf(1.96), 0.024997895148220, 1e-12)).toBe(true);
    expect(normalSf(0)).toBe(0.5);
    expect(relClose(normalCdf(1), 0.841344746068543, 1e-14)).toBe(true);
    expect(normalSf(50)).toBe(0);
    expect(normalSf(-50)).toBe(1);
    expect(Number.isNaN(normalSf(Number.NaN))).toBe(true);
  });

  it('round-trips: Φ(Φ⁻¹(p)) = p and Q(−Φ⁻¹(p)) = p for p from 0.4 down to 1e-285', () => {
    for (let e = 0.31; e <= 300; e *= 1.3) {
      const p = 10 ** -e;
      const z = normalQuantile(p);
      // A relative error ε in z moves Φ by z²·ε relatively: the tolerance is that conditioning times a few ulps.
      const tol = 1e-15 * Math.max(10, z * z);
      expect(relClose(normalCdf(z), p, tol), `Φ at p = ${p}`).toBe(true);
      expect(relClose(normalSf(-z), p, tol), `Q at p = ${p}`).toBe(true);
    }
  });

  it.skipIf(!hasScipy)(`agrees with scipy.stats.norm.ppf and .sf on a grid ${SCIPY}`, () => {
    const ps = [1e-300, 1e-100, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.0749, 0.075, 0.2, 0.5, 0.6, 0.925, 0.9251, 0.99, 0.999, 0.999999];
    const xs = [-37, -20, -8, -5.65, -5.66, -1, -0.674, -0.675, 0, 0.3, 0.6744, 0.6745, 1, 2.5, 3.0902, 5.656, 5.657, 8, 12, 20, 37.5];
    const out = JSON.parse(
      execFileSync('python3', ['-c', 'import json,sys; from scipy.stats import norm; d=json.load(sys.stdin); json.dump([[float(norm.ppf(p)) for p in d["ps"]], [float(norm.sf(x)) for x in d["xs"]]], sys.stdout)'], {
        input: JSON.stringify({ ps, xs }),
        encoding: 'utf8',
      }),
    ) as [number[], number[]];
    ps.forEach((p, i) => expect(relClose(normalQuantile(p), out[0][i], 1e-14), `ppf(${p})`).toBe(true));
    xs.forEach((x, i) => expect(relClose(normalSf(x), out[1][i], 1e-13), `sf(${x})`).toBe(true));
  });
});

describe('LogNormalThreshold', () => {
  /** n draws of exp(μ + σ·N(0, 1)). */
  function lognormal(seed: number, n: number, mu: number, sigma: number): Float64Array {
    const rng = createRng(seed);
    return Float64Array.from({ length: n }, () => Math.exp(mu + sigma * rng.normal()));
  }

  it('on samples of a known log-normal, finds μ, σ and the 1 − p quantile exp(μ + σ·3.0902)', () => {
    const mu = -3;
    const sigma = 0.4;
    const th = new LogNormalThreshold({ calibrationSize: 50_000 });
    expect(th.z).toBeCloseTo(3.090232306, 9);
    for (const s of lognormal(1, 50_000, mu, sigma)) th.observe(s);
    expect(th.isCalibrated()).toBe(true);
    // Standard errors: μ ± σ/√n = ±0.0018, σ ± σ/√(2n) = ±0.0013.
    expect(Math.abs(th.mu - mu)).toBeLessThan(0.008);
    expect(Math.abs(th.sigma - sigma)).toBeLessThan(0.006);
    const truth = Math.exp(mu + sigma * 3.090232306167813);
    expect(Math.abs(th.threshold() / truth - 1)).toBeLessThan(0.03);
    expect(th.tailProbability(truth)).toBeGreaterThan(0.0007);
    expect(th.tailProbability(truth)).toBeLessThan(0.0014);
    // Fresh benign draws exceed the threshold about p = 0.1 % of the time (binomial: 200 ± 14 of 200,000).
    let above = 0;
    for (const s of lognormal(2, 200_000, mu, sigma)) if (th.isAnomalous(s)) above++;
    expect(above).toBeGreaterThan(140);
    expect(above).toBeLessThan(270);
  });

  it('tail probability: the fitted p-value, 1 at and below the median side, small far above', () => {
    const th = new LogNormalThreshold({ calibrationSize: 2 });
    th.observe(Math.E); // ln = 1
    th.observe(Math.E ** 3); // ln = 3 → μ = 2, σ = 1 (population)
    expect(th.mu).toBeCloseTo(2, 14);
    expect(th.sigma).toBeCloseTo(1, 14);
    expect(th.tailProbability(Math.E ** 2)).toBeCloseTo(0.5, 14);
    expect(relClose(th.tailProbability(Math.E ** 5), normalSf(3), 1e-12)).toBe(true);
    expect(th.tailProbability(0)).toBe(1);
    expect(relClose(th.threshold(), Math.exp(2 + th.z), 1e-14)).toBe(true);
  });

  it('is bounded: ignores scores after the window, skips scores without a logarithm, throws IPQ-M008 before', () => {
    const th = new LogNormalThreshold({ calibrationSize: 3, p: 0.01 });
    const m008 = (f: () => unknown): boolean => catchIpqsec(f, 'IPQ-M008') !== undefined;
    expect(m008(() => th.threshold())).toBe(true);
    expect(m008(() => th.tailProbability(1))).toBe(true);
    for (const s of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1, 2]) th.observe(s);
    expect(th.skipped).toBe(4);
    expect(th.count).toBe(2);
    expect(th.isCalibrated()).toBe(false);
    th.observe(4);
    th.observe(1000);
    expect(th.count).toBe(3);
    expect(th.ignored).toBe(1);
    expect(th.mu).toBeCloseTo(Math.log(2), 14); // mean of ln 1, ln 2, ln 4
  });

  it('merges two windows exactly (Chan et al.) and refuses bad options with IPQ-M006', () => {
    const xs = lognormal(3, 1000, 1, 2);
    const whole = new LogNormalThreshold({ calibrationSize: 1000 });
    const a = new LogNormalThreshold({ calibrationSize: 1000 });
    const b = new LogNormalThreshold({ calibrationSize: 1000 });
    xs.forEach((x, i) => {
      whole.observe(x);
      (i % 3 === 0 ? a : b).observe(x);
    });
    a.merge(b.toCalibration());
    expect(a.count).toBe(1000);
    expect(a.mu).toBeCloseTo(whole.mu, 12);
    expect(a.sigma).toBeCloseTo(whole.sigma, 12);
    expect(() => a.merge({ count: -1, mu: 0, m2: 0 })).toThrow(RangeError);
    for (const opts of [{ p: 0 }, { p: 0.5 }, { calibrationSize: 1 }, { calibrationSize: 2.5 }]) {
      expectIpqsec(() => new LogNormalThreshold(opts), 'IPQ-M006');
    }
  });
});
