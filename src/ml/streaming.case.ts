/**
 * Contract suite for {@link StreamingDetector} implementations (the `*.case.ts` pattern of hono's
 * `common.case.test.ts`): each implementation's test file calls {@link runStreamingDetectorContract} with a
 * factory, and the suite checks the behaviour every detector promises in `streaming.ts`.
 *
 * Test data: a stream of 4-feature standard Gaussian rows (seeded); the injected anomaly is the point with
 * every feature at +6 (six standard deviations, far outside the warm-up data).
 */
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { assertWarm, type StreamingDetectorFactory } from './streaming.js';

const N_FEATURES = 4;

/** `n` rows of `d` standard normal values from `seed`, each a fresh Float64Array. */
function gaussianStream(seed: number, n: number, d: number): Float64Array[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Float64Array.from({ length: d }, () => rng.normal()));
}

/**
 * Registers the streaming-detector contract tests under `describe(name)`.
 * @param factory builds a fresh detector from a seed and an input length; it must honour both.
 */
export function runStreamingDetectorContract(name: string, factory: StreamingDetectorFactory): void {
  describe(`StreamingDetector contract: ${name}`, () => {
    it('reports nFeatures and a positive integer warm-up', () => {
      const det = factory(1, N_FEATURES);
      expect(det.nFeatures).toBe(N_FEATURES);
      expect(Number.isInteger(det.warmUp)).toBe(true);
      expect(det.warmUp).toBeGreaterThan(0);
    });

    it('is cold (score 0, assertWarm throws IPQ-M008) until exactly warmUp observations are learned', () => {
      const det = factory(2, N_FEATURES);
      const stream = gaussianStream(2, det.warmUp + 5, N_FEATURES);
      expect(det.isWarm()).toBe(false);
      let cold: unknown;
      try {
        assertWarm(det);
      } catch (e) {
        cold = e;
      }
      expect(isIpqsecError(cold, 'IPQ-M008')).toBe(true);
      for (let i = 0; i < det.warmUp; i++) {
        expect(det.isWarm()).toBe(false);
        expect(det.scoreOne(stream[i])).toBe(0);
        det.learnOne(stream[i]);
      }
      expect(det.isWarm()).toBe(true);
      expect(() => assertWarm(det)).not.toThrow();
    });

    it('is deterministic for a seed; scoreOne neither learns nor depends on earlier scoring', () => {
      const a = factory(3, N_FEATURES);
      const b = factory(3, N_FEATURES);
      const stream = gaussianStream(3, a.warmUp * 3, N_FEATURES);
      const probe = gaussianStream(4, 20, N_FEATURES);
      const sa: number[] = [];
      const sb: number[] = [];
      for (const x of stream) {
        a.learnOne(x);
        b.learnOne(x);
        sa.push(a.scoreOne(x), a.scoreOne(x)); // scoring twice must give the same value
        sb.push(b.scoreOne(x), b.scoreOne(x));
      }
      expect(sb).toEqual(sa);
      for (let i = 0; i < sa.length; i += 2) expect(sa[i + 1]).toBe(sa[i]);
      // A detector that only learned (never scored) scores the probes identically.
      const c = factory(3, N_FEATURES);
      for (const x of stream) c.learnOne(x);
      expect(probe.map((x) => c.scoreOne(x))).toEqual(probe.map((x) => a.scoreOne(x)));
    });

    it('gives finite scores in [0, 1] and survives NaN and ±Infinity inputs', () => {
      const det = factory(5, N_FEATURES);
      const stream = gaussianStream(5, det.warmUp * 2 + 10, N_FEATURES);
      stream[3][1] = Number.NaN;
      stream[7][0] = Number.POSITIVE_INFINITY;
      stream[det.warmUp + 2][2] = Number.NEGATIVE_INFINITY;
      stream[det.warmUp + 4].fill(Number.NaN);
      for (const x of stream) {
        det.learnOne(x);
        const s = det.scoreOne(x);
        expect(Number.isFinite(s)).toBe(true);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
      }
      for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308, -1e308]) {
        const s = det.scoreOne(new Float64Array(N_FEATURES).fill(v));
        expect(Number.isFinite(s)).toBe(true);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
      }
    });

    it('scores an injected far anomaly above the 95th percentile of normal scores after warm-up', () => {
      const det = factory(6, N_FEATURES);
      for (const x of gaussianStream(6, det.warmUp * 2, N_FEATURES)) det.learnOne(x);
      const normal = gaussianStream(7, 200, N_FEATURES).map((x) => det.scoreOne(x)).sort((p, q) => p - q);
      const p95 = normal[Math.floor(0.95 * normal.length)];
      const anomaly = det.scoreOne(new Float64Array(N_FEATURES).fill(6));
      expect(anomaly).toBeGreaterThan(p95);
      expect(anomaly).toBeGreaterThan(normal[normal.length / 2]);
    });

    it('throws RangeError for a wrong-length input, in learnOne and scoreOne', () => {
      const det = factory(8, N_FEATURES);
      expect(() => det.learnOne(new Float64Array(N_FEATURES - 1))).toThrow(RangeError);
      expect(() => det.scoreOne(new Float64Array(N_FEATURES + 1))).toThrow(RangeError);
      for (const x of gaussianStream(8, det.warmUp, N_FEATURES)) det.learnOne(x);
      expect(() => det.scoreOne(new Float64Array(0))).toThrow(RangeError);
    });
  });
}
