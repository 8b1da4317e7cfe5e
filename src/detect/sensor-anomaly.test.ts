import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../core/rng.js';
import { SensorAnomalyDetector, toCelsius, type SensorAssessment, type SensorReading } from './sensor-anomaly.js';

const T0 = Date.UTC(2025, 0, 1);
const DAY_MS = 86_400_000;

/**
 * A temperature transmitter: 20 °C + a daily cycle (period 24 h, amplitude `amp` °C, random phase so that the
 * steepest part of the cycle is covered) + N(0, σ²) noise, one reading per second with up to 100 ms of jitter.
 */
function transmitter(rng: Rng, n: number, sigma = 0.1, amp = 5): SensorReading[] {
  const phase = rng.next() * 2 * Math.PI;
  const out: SensorReading[] = new Array<SensorReading>(n);
  for (let i = 0; i < n; i++) {
    const t = i * 1000 + rng.int(100);
    out[i] = { kind: 'temperature', value: 20 + amp * Math.sin((2 * Math.PI * t) / DAY_MS + phase) + sigma * rng.normal(), unit: 'C', tsMs: T0 + t };
  }
  return out;
}

const at = (r: SensorReading, value: number): SensorReading => ({ ...r, value });

function feed(det: SensorAnomalyDetector, key: string, xs: readonly SensorReading[]): SensorAssessment[] {
  return xs.map((x) => det.observe(key, x, true));
}

/** Indices of readings that raised any reason. */
const alerted = (as: readonly SensorAssessment[]): number[] => as.flatMap((a, i) => (a.reasons.length > 0 ? [i] : []));

describe('toCelsius', () => {
  it('converts C, F and K (hand-computed)', () => {
    expect(toCelsius(21.5, 'C')).toBe(21.5);
    expect(toCelsius(212, 'F')).toBeCloseTo(100, 12);
    expect(toCelsius(32, '°F')).toBeCloseTo(0, 12);
    expect(toCelsius(-40, 'fahrenheit')).toBeCloseTo(-40, 12);
    expect(toCelsius(273.15, 'K')).toBeCloseTo(0, 12);
    expect(toCelsius(0, 'k')).toBeCloseTo(-273.15, 12);
    expect(toCelsius(5, 'degC')).toBe(5);
    expect(toCelsius(5, 'bar')).toBeNull();
  });
});

describe('SensorAnomalyDetector: out of range', () => {
  const one = (value: number, unit: string, kind: SensorReading['kind'] = 'temperature'): SensorAssessment =>
    new SensorAnomalyDetector().observe('s', { kind, value, unit, tsMs: T0 }, true);

  it('flags values outside −40…85 °C in any unit, from the first reading', () => {
    expect(one(90, 'C')).toEqual({ reasons: ['Sensor Out Of Range'], score: 1, valueC: 90, z: 0 });
    expect(one(200, 'F').reasons).toEqual(['Sensor Out Of Range']); // 93.3 °C
    expect(one(230, 'K').reasons).toEqual(['Sensor Out Of Range']); // −43.15 °C
    expect(one(-40, 'F').reasons).toEqual([]); // −40 °C, on the bound
    expect(one(300, 'K')).toMatchObject({ reasons: [], score: 0 });
    expect(one(300, 'K').valueC).toBeCloseTo(26.85, 12);
    expect(one(85, 'C').reasons).toEqual([]);
  });

  it('uses per-kind ranges merged over the defaults, in the raw unit for other kinds', () => {
    expect(one(101, '%', 'humidity').reasons).toEqual(['Sensor Out Of Range']);
    expect(one(101, '%', 'humidity').valueC).toBeNull();
    expect(one(1e6, 'Pa', 'pressure').reasons).toEqual([]);
    const det = new SensorAnomalyDetector({ ranges: { pressure: [0, 2e5] } });
    expect(det.observe('p', { kind: 'pressure', value: 3e5, unit: 'Pa', tsMs: T0 }, true).reasons).toEqual(['Sensor Out Of Range']);
    expect(det.observe('t', { kind: 'temperature', value: 86, unit: 'C', tsMs: T0 }, true).reasons).toEqual(['Sensor Out Of Range']);
  });

  it('does not assess a temperature in an unknown unit', () => {
    const det = new SensorAnomalyDetector();
    expect(det.observe('s', { kind: 'temperature', value: 900, unit: 'Rankine', tsMs: T0 }, true)).toEqual({ reasons: [], score: 0, valueC: null, z: 0 });
    expect(det.size).toBe(0);
  });
});

describe('SensorAnomalyDetector: normal operation raises nothing', () => {
  it('3,600 readings (1 h) of noise and daily cycle, 20 seeds: zero alerts', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const det = new SensorAnomalyDetector();
      const as = feed(det, 'sensor:a/1', transmitter(createRng(seed), 3600));
      expect({ seed, alerts: alerted(as) }).toEqual({ seed, alerts: [] });
    }
  });

  it('half a day (43,200 readings) whose cycle swings 20 °C peak to trough, and 6 h of a quiet transmitter at the MAD floor: zero alerts', () => {
    const cases = [
      { seed: 101, n: 43_200, sigma: 0.1, amp: 10 },
      { seed: 102, n: 21_600, sigma: 0.01, amp: 5 },
    ];
    for (const c of cases) {
      const xs = transmitter(createRng(c.seed), c.n, c.sigma, c.amp);
      const det = new SensorAnomalyDetector();
      let alerts = 0;
      for (const x of xs) if (det.observe('s', x, true).reasons.length > 0) alerts++;
      expect({ ...c, alerts }).toEqual({ ...c, alerts: 0 });
    }
  });
  it('follows a process trend up to maxTrendPerHour: a quiet transmitter warming 4.5 °C/h raises nothing', () => {
    // σ = 0.02 °C (scale at the 0.05 floor). A median of the last 128 readings lags 64 s behind the trend, 0.08 °C
    // = 1.6 scales, above k = 1.5: without the slope correction the CUSUM climbs over h.
    const ramp = (det: SensorAnomalyDetector): number => {
      const rng = createRng(55);
      let alerts = 0;
      for (let i = 0; i < 3600; i++) {
        const x: SensorReading = { kind: 'temperature', value: 10 + (4.5 * i) / 3600 + 0.02 * rng.normal(), unit: 'C', tsMs: T0 + i * 1000 };
        if (det.observe('s', x, true).reasons.length > 0) alerts++;
      }
      return alerts;
    };
    expect(ramp(new SensorAnomalyDetector())).toBe(0);
    expect(ramp(new SensorAnomalyDetector({ maxTrendPerHour: { temperature: 0 } }))).toBeGreaterThan(0);
  });
});

describe('SensorAnomalyDetector: spikes', () => {
  it('flags isolated jumps of ±3 °C (30 σ) and nothing else', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const rng = createRng(seed);
      const xs = transmitter(rng, 2000);
      const spikes = new Map<number, number>([
        [100 + rng.int(300), 3],
        [700 + rng.int(300), -3],
        [1500 + rng.int(300), 3],
      ]);
      for (const [i, d] of spikes) xs[i] = at(xs[i]!, xs[i]!.value + d);
      const as = feed(new SensorAnomalyDetector(), 's', xs);
      expect(alerted(as)).toEqual([...spikes.keys()]);
      for (const i of spikes.keys()) {
        expect(as[i]!.reasons).toEqual(['Sensor Spike']);
        expect(as[i]!.z).toBeGreaterThan(20);
        expect(as[i]!.score).toBeCloseTo(0.9, 12); // z ≥ 2·spikeZ
      }
    }
  });

  it('reports a burst of up to 3 displaced readings as spikes', () => {
    const xs = transmitter(createRng(9), 600);
    for (let i = 300; i < 303; i++) xs[i] = at(xs[i]!, xs[i]!.value + 4);
    const as = feed(new SensorAnomalyDetector(), 's', xs);
    expect(alerted(as)).toEqual([300, 301, 302]);
    expect(as.slice(300, 303).map((a) => a.reasons)).toEqual([['Sensor Spike'], ['Sensor Spike'], ['Sensor Spike']]);
  });

  it('keeps spikes out of the baseline: the window is as if the spike readings never arrived', () => {
    const xs = transmitter(createRng(21), 1500);
    const spikeAt = [400, 401, 650, 900, 1200, 1420, 1450, 1451];
    const withSpikes = xs.map((x, i) => (spikeAt.includes(i) ? at(x, x.value + 5) : x));
    const without = xs.filter((_, i) => !spikeAt.includes(i));
    const a = new SensorAnomalyDetector();
    const b = new SensorAnomalyDetector();
    const asA = feed(a, 's', withSpikes);
    feed(b, 's', without);
    expect(alerted(asA)).toEqual(spikeAt);
    // The robust z of any probe depends only on the short window; it must match exactly.
    const last = xs[xs.length - 1]!;
    for (const probe of [last.value, last.value + 0.3, last.value - 1]) {
      const p = { ...last, tsMs: last.tsMs + 1000, value: probe };
      expect(a.observe('s', p, false).z).toBe(b.observe('s', p, false).z);
    }
  });

  it('fires nothing before warm-up (30 readings)', () => {
    const xs = transmitter(createRng(3), 40);
    xs[20] = at(xs[20]!, xs[20]!.value + 5);
    xs[35] = at(xs[35]!, xs[35]!.value + 5);
    expect(alerted(feed(new SensorAnomalyDetector(), 's', xs))).toEqual([35]);
  });
});

describe('SensorAnomalyDetector: drift', () => {
  it('detects a ramp of ±0.05 °C/s lasting 60–120 s within 120 readings of onset, with no alert before it', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rng = createRng(1000 + seed);
      const xs = transmitter(rng, 2400);
      const onset = 600 + rng.int(1000);
      const duration = 60 + rng.int(61);
      const slope = seed % 2 === 0 ? 0.05 : -0.05;
      for (let i = onset; i < xs.length; i++) xs[i] = at(xs[i]!, xs[i]!.value + slope * Math.min(i - onset, duration));
      const as = feed(new SensorAnomalyDetector(), 's', xs);
      const first = as.findIndex((a) => a.reasons.includes('Sensor Drift'));
      expect({ seed, beforeOnset: alerted(as).filter((i) => i < onset) }).toEqual({ seed, beforeOnset: [] });
      expect(first).toBeGreaterThanOrEqual(onset);
      expect(first - onset).toBeLessThan(120);
      // A ramp is not a spike: it never jumps away from the readings just before it.
      expect(as.slice(onset, onset + duration).some((a) => a.reasons.includes('Sensor Spike'))).toBe(false);
      expect(as[first]!.score).toBeGreaterThanOrEqual(0.6);
    }
  });

  it('treats a lasting step as spikes, then drift while new, then relearns the level', () => {
    const xs = transmitter(createRng(77), 2000);
    for (let i = 800; i < xs.length; i++) xs[i] = at(xs[i]!, xs[i]!.value + 3);
    const as = feed(new SensorAnomalyDetector(), 's', xs);
    expect(as.slice(800, 803).every((a) => a.reasons.includes('Sensor Spike'))).toBe(true);
    expect(as[803]!.reasons).toContain('Sensor Drift');
    // Relearned within the baseline (256 readings) plus the CUSUM's clearing time.
    expect(alerted(as).filter((i) => i >= 800 + 400)).toEqual([]);
    expect(alerted(as).filter((i) => i < 800)).toEqual([]);
  });
});

describe('SensorAnomalyDetector: stuck', () => {
  it('flags the 20th consecutive identical value of a live transmitter, and stops when it moves again', () => {
    const xs = transmitter(createRng(5), 1200);
    const held = xs[999]!.value;
    for (let i = 1000; i < 1030; i++) xs[i] = at(xs[i]!, held);
    const as = feed(new SensorAnomalyDetector(), 's', xs);
    // Readings 999 … 1018 are the first 20 identical values.
    expect(alerted(as)).toEqual(Array.from({ length: 1030 - 1018 }, (_, j) => 1018 + j));
    expect(as[1018]).toMatchObject({ reasons: ['Sensor Stuck'], score: 0.75 });
  });

  it('never flags a sensor that was noise-free from the start (MAD ≤ minMad)', () => {
    const det = new SensorAnomalyDetector();
    for (let i = 0; i < 500; i++) {
      expect(det.observe('s', { kind: 'temperature', value: 21, unit: 'C', tsMs: T0 + i * 1000 }, true).reasons).toEqual([]);
    }
  });
});

describe('SensorAnomalyDetector: state', () => {
  /** A reading that any warm state flags as a spike, and a fresh one cannot. */
  function warmThenSpike(det: SensorAnomalyDetector, key: string, seed: number): SensorReading {
    const xs = transmitter(createRng(seed), 100);
    feed(det, key, xs);
    const last = xs[99]!;
    return { ...last, value: last.value + 5, tsMs: last.tsMs + 1000 };
  }

  it('evicts the least recently observed sensor beyond maxSensors', () => {
    const det = new SensorAnomalyDetector({ maxSensors: 2 });
    const spikeA = warmThenSpike(det, 'a', 1);
    warmThenSpike(det, 'b', 2);
    expect(det.observe('a', spikeA, false).reasons).toEqual(['Sensor Spike']);
    const spikeC = warmThenSpike(det, 'c', 3); // evicts a (b and c are more recent)
    expect(det.size).toBe(2);
    expect(det.observe('a', spikeA, false)).toMatchObject({ reasons: [], z: 0 });
    expect(det.observe('c', spikeC, false).reasons).toEqual(['Sensor Spike']);
  });

  it('starts afresh after a gap longer than resetAfterGapMs or a change of kind', () => {
    const det = new SensorAnomalyDetector();
    const spike = warmThenSpike(det, 's', 4);
    expect(det.observe('s', spike, false).reasons).toEqual(['Sensor Spike']);
    expect(det.observe('s', { ...spike, tsMs: spike.tsMs + 600_001 }, false)).toMatchObject({ reasons: [], z: 0 });
    expect(det.observe('s', { ...spike, kind: 'humidity', unit: '%' }, false)).toMatchObject({ reasons: [], z: 0 });
  });

  it('commit = false changes nothing: a probed detector and an unprobed twin answer alike (property)', () => {
    const probe = fc.record({
      key: fc.constantFrom('s', 't', 'u'),
      kind: fc.constantFrom('temperature' as const, 'humidity' as const),
      // Large jumps (out of range, spikes) and small ones the CUSUM accepts.
      delta: fc.oneof(fc.double({ min: -200, max: 200, noNaN: true }), fc.double({ min: -0.6, max: 0.6, noNaN: true }), fc.constant(0)),
      repeat: fc.integer({ min: 1, max: 8 }),
      dtMs: fc.oneof(fc.constant(0), fc.integer({ min: -5000, max: 2_000_000 })),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 300 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 299 }), probe), { maxLength: 20 }), (seed, stuckAt, probes) => {
        const xs = transmitter(createRng(seed), 300);
        // A stuck stretch, a spike and a ramp so that every rule has state to corrupt.
        for (let i = stuckAt; i < Math.min(stuckAt + 25, 300); i++) xs[i] = at(xs[i]!, xs[stuckAt]!.value);
        xs[(stuckAt + 100) % 300] = at(xs[(stuckAt + 100) % 300]!, 30);
        const probed = new SensorAnomalyDetector({ maxSensors: 2 });
        const twin = new SensorAnomalyDetector({ maxSensors: 2 });
        let p = 0;
        const sorted = [...probes].sort((a, b) => a[0] - b[0]);
        for (let i = 0; i < xs.length; i++) {
          while (p < sorted.length && sorted[p]![0] === i) {
            const q = sorted[p++]![1];
            const r: SensorReading = { kind: q.kind, unit: q.kind === 'temperature' ? 'C' : '%', value: xs[i]!.value + q.delta, tsMs: xs[i]!.tsMs + q.dtMs };
            const first = probed.observe(q.key, r, false);
            for (let k = 1; k < q.repeat; k++) expect(probed.observe(q.key, r, false)).toEqual(first);
          }
          expect(probed.observe('s', xs[i]!, true)).toEqual(twin.observe('s', xs[i]!, true));
        }
        expect(probed.size).toBe(twin.size);
      }),
      { numRuns: 25 },
    );
  });

  it('rejects options outside their ranges', () => {
    expect(() => new SensorAnomalyDetector({ window: 300 })).toThrow(RangeError);
    expect(() => new SensorAnomalyDetector({ warmup: 200 })).toThrow(RangeError);
    expect(() => new SensorAnomalyDetector({ baselineWindow: 255 })).toThrow(RangeError);
    expect(() => new SensorAnomalyDetector({ spikeZ: 0 })).toThrow(RangeError);
    expect(() => new SensorAnomalyDetector({ maxSensors: 0 })).toThrow(RangeError);
    expect(() => new SensorAnomalyDetector({ ranges: { temperature: [10, 0] } })).toThrow(RangeError);
  });
});
