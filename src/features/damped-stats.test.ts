import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DampedStat, DecayFactors, KITSUNE_LAMBDAS, decayFactor, write2d } from './damped-stats.js';

/**
 * Independent oracle: the damped statistics recomputed from the whole history, every value weighted
 * explicitly by 2^(−λ(t_now − t_i)) (Mirsky et al. 2018, §IV-B), with Kitsune's raw sums w, LS, SS.
 */
function direct(lambda: number, ts: readonly number[], xs: readonly number[], tNow: number): { w: number; mean: number; variance: number } {
  let w = 0;
  let ls = 0;
  for (let i = 0; i < ts.length; i++) {
    const wi = Math.pow(2, -lambda * (tNow - ts[i]));
    w += wi;
    ls += wi * xs[i];
  }
  const mean = ls / w;
  // The two-pass form of SS/w − mean², so the oracle itself does not cancel.
  let m2 = 0;
  for (let i = 0; i < ts.length; i++) m2 += Math.pow(2, -lambda * (tNow - ts[i])) * (xs[i] - mean) ** 2;
  return { w, mean, variance: m2 / w };
}

function close(actual: number, expected: number, rel = 1e-9, abs = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(abs + rel * Math.abs(expected));
}

/** Streams of (Δt ≥ 0, value): packet-like sizes, gaps from 0 (same timestamp) to a few seconds. */
const streamArb = fc.array(
  fc.record({
    dt: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 3, noNaN: true })),
    x: fc.oneof(fc.integer({ min: 40, max: 1514 }), fc.double({ min: -1e3, max: 1e3, noNaN: true })),
  }),
  { minLength: 1, maxLength: 60 },
);

describe('DampedStat vs the O(n) recomputation with explicit weights 2^(−λ(t_now − t_i))', () => {
  it('weight, mean and variance match at every Kitsune λ (property)', () => {
    fc.assert(
      fc.property(streamArb, fc.constantFrom(...KITSUNE_LAMBDAS), fc.double({ min: 0, max: 2e9, noNaN: true }), (stream, lambda, t0) => {
        const st = new DampedStat(lambda);
        const ts: number[] = [];
        const xs: number[] = [];
        let t = t0;
        for (const { dt, x } of stream) {
          t += dt;
          st.update(t, x);
          ts.push(t);
          xs.push(x);
          const o = direct(lambda, ts, xs, t);
          close(st.weight, o.w);
          close(st.mean, o.mean, 1e-9, 1e-9 * Math.max(1, ...xs.map(Math.abs)));
          close(st.variance, o.variance, 1e-7, 1e-9 * Math.max(1, ...xs.map((v) => v * v)));
        }
        // Decaying to a later time scales the weight only.
        const later = t + 1.5;
        const before = { mean: st.mean, variance: st.variance };
        st.decayTo(later);
        close(st.weight, direct(lambda, ts, xs, later).w);
        expect(st.mean).toBe(before.mean);
        close(st.variance, before.variance, 1e-12, 1e-300); // subnormal values may round
      }),
      { numRuns: 300 },
    );
  });

  it("agrees with Kitsune's raw sums: LS = Σ wᵢxᵢ, SS = Σ wᵢxᵢ², var = |SS/w − (LS/w)²|", () => {
    const st = new DampedStat(0.1);
    const xs = [60, 1514, 60, 60, 590, 1514, 40];
    const ts = [0, 0.2, 0.2, 1, 3.5, 3.6, 10];
    for (let i = 0; i < xs.length; i++) st.update(ts[i], xs[i]);
    let ls = 0;
    let ss = 0;
    let w = 0;
    for (let i = 0; i < xs.length; i++) {
      const wi = 2 ** (-0.1 * (10 - ts[i]));
      w += wi;
      ls += wi * xs[i];
      ss += wi * xs[i] * xs[i];
    }
    close(st.linearSum, ls, 1e-12);
    close(st.squaredSum, ss, 1e-12);
    close(st.variance, Math.abs(ss / w - (ls / w) ** 2), 1e-9);
  });

  it('hand-derived: λ = 1, values 2 at t = 0 and 4 at t = 1 → w = 1.5, mean = 10/3, var = 8/9', () => {
    // weights: 2^(−1) = 0.5 for the first, 1 for the second. mean = (1 + 4)/1.5; var = (0.5·(4/3)² + (2/3)²)/1.5.
    const st = new DampedStat(1);
    st.update(0, 2);
    st.update(1, 4);
    expect(st.weight).toBeCloseTo(1.5, 15);
    expect(st.mean).toBeCloseTo(10 / 3, 14);
    expect(st.variance).toBeCloseTo(8 / 9, 14);
    expect(decayFactor(5, 0.2)).toBe(0.5); // half-life 1/λ
    expect(decayFactor(5, 0)).toBe(1);
    expect(decayFactor(5, -3)).toBe(1);
  });

  it('an out-of-order value (t < last time) is inserted without decay and does not move the clock back', () => {
    const a = new DampedStat(1);
    a.update(10, 100);
    a.update(9, 50); // late packet
    const b = new DampedStat(1);
    b.update(10, 100);
    b.update(10, 50); // as if at the last time
    expect(a.toState()).toEqual(b.toState());
    expect(a.lastT).toBe(10);
  });

  it('keeps the variance of large values with a small spread (no cancellation)', () => {
    const st = new DampedStat(0.01);
    const base = 1.7e9; // e.g. epoch seconds
    for (let i = 0; i < 1000; i++) st.update(i * 0.001, base + (i % 2 === 0 ? 0.5 : -0.5));
    close(st.variance, 0.25, 1e-6);
  });
});

describe('DampedStat.merge (Chan et al.) equals sequential insertion of the concatenation', () => {
  it('for any split of a time-ordered stream into two disjoint sub-streams (property)', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), fc.constantFrom(...KITSUNE_LAMBDAS), (stream, mask, lambda) => {
        const whole = new DampedStat(lambda);
        const a = new DampedStat(lambda);
        const b = new DampedStat(lambda);
        let t = 1000;
        stream.forEach(({ dt, x }, i) => {
          t += dt;
          whole.update(t, x);
          (mask[i] ? a : b).update(t, x);
        });
        a.merge(b);
        const scale = Math.max(1, ...stream.map(({ x }) => Math.abs(x)));
        expect(a.updates).toBe(whole.updates);
        expect(a.lastT).toBe(whole.lastT);
        close(a.weight, whole.weight, 1e-9);
        close(a.mean, whole.mean, 1e-9, 1e-9 * scale);
        close(a.variance, whole.variance, 1e-7, 1e-9 * scale * scale);
      }),
      { numRuns: 300 },
    );
  });

  it('is a no-op with an empty statistic, copies into an empty one, refuses another λ', () => {
    const a = new DampedStat(3);
    a.update(1, 5);
    const snap = a.toState();
    a.merge(new DampedStat(3));
    expect(a.toState()).toEqual(snap);
    const e = new DampedStat(3).merge(a);
    expect(e.toState()).toEqual(snap);
    expect(() => a.merge(new DampedStat(1))).toThrow(RangeError);
  });

  it('round-trips through its JSON state', () => {
    const a = new DampedStat(0.1);
    for (let i = 0; i < 10; i++) a.update(i, i * i);
    const b = DampedStat.fromState(JSON.parse(JSON.stringify(a.toState())));
    expect(b.toState()).toEqual(a.toState());
    expect(() => DampedStat.fromState({ ...a.toState(), w: -1 })).toThrow(RangeError);
    expect(() => new DampedStat(Number.NaN)).toThrow(RangeError);
  });
});

describe('write2d: the 2D statistics of Kitsune Table I, against the formulas evaluated by hand', () => {
  it('radius √(var_i + var_j), magnitude √(μ_i² + μ_j²), cov SR/(w_i + w_j), pcc cov/(σ_i σ_j)', () => {
    const out = new Float64Array(6);
    // μ_i = 3, μ_j = 4 → magnitude 5; var 9 and 16 → radius 5; SR = 14, w 3 + 4 → cov 2; σσ = 12 → pcc 1/6.
    write2d(out, 1, 3, 3, 9, 4, 4, 16, 14);
    expect(Array.from(out)).toEqual([0, 5, 5, 2, 2 / 12, 0]);
  });

  it('guards the correlation: 0 without resolvable spread (var ≤ 1e-12·mean²), clamped to [−1, 1] otherwise', () => {
    const out = new Float64Array(4);
    write2d(out, 0, 1, 1000, 1e-7, 1, 1000, 100, 5); // var 1e-7 ≤ 1e-12·10⁶: no spread on i
    expect(out[3]).toBe(0);
    write2d(out, 0, 1, 1000, 1e-5, 1, 1000, 100, 5); // spread: cov 2.5 / (√1e-5·10) ≈ 79 → 1
    expect(out[2]).toBe(2.5);
    expect(out[3]).toBe(1);
    write2d(out, 0, 1, 0, 1, 1, 0, 1, -50); // cov −25 → −1
    expect(out[3]).toBe(-1);
  });

  it('gives correlation 0 when either deviation is 0 and covariance 0 with no weight', () => {
    const out = new Float64Array(4);
    write2d(out, 0, 2, 10, 0, 1, 5, 4, 3);
    expect(out[2]).toBe(1);
    expect(out[3]).toBe(0);
    write2d(out, 0, 0, 0, 0, 0, 0, 0, 0);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
  });
});

describe('DecayFactors: 2^(−λ·Δt) for a set of λ with few exponentials', () => {
  it('equals Math.pow(2, −λ·Δt) to 1e-12 relative for Kitsune\'s λ and any Δt (property)', () => {
    const df = new DecayFactors(KITSUNE_LAMBDAS);
    const out = new Float64Array(5);
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1e5, noNaN: true })), (dt) => {
        df.compute(dt, out);
        return KITSUNE_LAMBDAS.every((lam, l) => {
          const want = Math.pow(2, -lam * dt);
          // Below 2^−960 the factor is flushed to 0 by design.
          return want < 2 ** -960 ? out[l] === 0 || Math.abs(out[l] - want) <= 2 ** -900 : Math.abs(out[l] - want) <= 1e-12 * want;
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('gives 1 for Δt ≤ 0, works for λ sets without integer ratios, and rejects bad λ', () => {
    const df = new DecayFactors([0.7, 0.3, 2.1, 0.35]);
    const out = new Float64Array(4);
    df.compute(-1, out);
    expect(Array.from(out)).toEqual([1, 1, 1, 1]);
    df.compute(2.5, out);
    [0.7, 0.3, 2.1, 0.35].forEach((lam, l) => expect(Math.abs(out[l] / Math.pow(2, -lam * 2.5) - 1)).toBeLessThan(1e-13));
    expect(() => new DecayFactors([1, 0])).toThrow(RangeError);
    expect(() => new DecayFactors([])).toThrow(RangeError);
  });
});
