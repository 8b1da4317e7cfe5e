/**
 * Simulated temperature transmitters, modelled on industrial Pt100 (IEC 60751) head-mounted transmitters
 * configured for −40…+85 °C (the industrial temperature grade): each sensor reads
 * `base + daily cycle + noise`, one reading per interval, in °C quantised to 0.01 °C.
 *
 * - base: uniform 15–60 °C per sensor (process and ambient points of a plant; fixed per sensor, whatever the seed)
 * - daily cycle: amplitude uniform 2–5 °C, period 24 h, random phase per sensor
 * - noise: Gaussian, σ uniform 0.1–0.3 °C per sensor
 *
 * Normal readings therefore stay within 15 − 5 − 6σ … 60 + 5 + 6σ, well inside the range.
 * Scenario behaviour (per scheduled instance, on readings with start_ms ≤ t ≤ end_ms):
 * - `sensor_spike`: 1–3 readings offset by 8–20 °C (upwards when the base is below 50 °C, else downwards)
 * - `sensor_drift`: a ramp of +0.03…0.08 °C/s from start_ms; at end_ms the sensor is recalibrated (the offset
 *   vanishes with the next reading)
 * - `sensor_stuck`: every reading equals the last reading before start_ms (30–60 readings)
 * - `sensor_out_of_range`: 1–3 readings beyond the range: 90–125 °C or −45…−60 °C (a transmitter signalling
 *   a fault drives its output beyond the range, NAMUR NE 43)
 *
 * Memory: O(sensors + scheduled sensor instances).
 */
import { createRng, type Rng } from '../core/rng.js';

/** Seed of the fixed plant (sensor i's physical parameters come from `createRng(PLANT_SEED + i)`). */
const PLANT_SEED = 0x51a7;
import { NORMAL, pad, uniform, type Draft, type DraftSource } from './_draft.js';
import type { ScheduledInstance } from './scenarios.js';

/** Measuring range of the simulated transmitters, °C. */
export const SENSOR_RANGE_C = { min: -40, max: 85 } as const;
/** Sensors per site (`site-a` holds the first 25). */
export const SENSORS_PER_SITE = 25;
/** Ramp rates of `sensor_drift`, °C/s. */
export const DRIFT_RATE_C_PER_S = { min: 0.03, max: 0.08 } as const;
/** Offsets of `sensor_spike`, °C (absolute value). */
export const SPIKE_OFFSET_C = { min: 8, max: 20 } as const;

const DAY_MS = 86_400_000;

/** Identity of sensor `i` (0-based) of `n`. */
export interface SensorIdentity {
  /** `site-a` … `site-z`, `site-ba`, … (base-26 letters), {@link SENSORS_PER_SITE} sensors each. */
  readonly site: string;
  /** `tt-001`, `tt-002`, … (at least three digits; numbered across sites). */
  readonly id: string;
}

/** The identity of sensor `i` of `n`. */
export function sensorIdentity(i: number, n: number): SensorIdentity {
  return { site: `site-${letters(Math.floor(i / SENSORS_PER_SITE))}`, id: `tt-${pad(i + 1, Math.max(3, String(n).length))}` };
}

/**
 * Offset of sensor `i`'s readings from the start, ms: ⌊i · interval / n⌋ (readings are staggered evenly over
 * one interval). Sensor `i` reads at `startMs + offset + j · interval`, j = 0, 1, …
 */
export function sensorOffsetMs(i: number, n: number, intervalMs: number): number {
  return Math.floor((i * intervalMs) / n);
}

function letters(k: number): string {
  let s = '';
  do {
    s = String.fromCharCode(97 + (k % 26)) + s;
    k = Math.floor(k / 26);
  } while (k > 0);
  return s;
}

interface SensorState {
  readonly ident: SensorIdentity;
  readonly base: number;
  readonly amplitude: number;
  readonly phase: number;
  readonly sigma: number;
  nextMs: number;
  last: number;
  readonly attacks: ScheduledInstance[];
  attackPos: number;
  /** Per-instance parameter drawn when the instance starts (spike offset, drift rate, stuck value, out-of-range value). */
  param: number;
  paramFor: number;
}

/** The sensors as a {@link DraftSource}. */
export class TemperatureSensors implements DraftSource {
  private readonly sensors: SensorState[] = [];

  /**
   * @param n number of sensors (≥ 0)
   * @param intervalMs reading interval of every sensor, ms
   * @param instances the schedule (sensor instances with `target` in [0, n) are used; their start_ms must lie on
   *   the sensor's reading grid, as `scheduleScenarios` makes it)
   */
  constructor(
    n: number,
    startMs: number,
    private readonly intervalMs: number,
    private readonly rng: Rng,
    instances: readonly ScheduledInstance[],
  ) {
    for (let i = 0; i < n; i++) {
      // The plant is fixed: a sensor's process point, cycle and noise level depend on the sensor, not on the run's
      // seed, so consecutive runs against one server continue the same physical sensors (a new seed changes the
      // noise and the attacks, never teleports a transmitter to another temperature).
      const plant = createRng(PLANT_SEED + i);
      this.sensors.push({
        ident: sensorIdentity(i, n),
        base: uniform(plant, 15, 60),
        amplitude: uniform(plant, 2, 5),
        phase: uniform(plant, 0, 2 * Math.PI),
        sigma: uniform(plant, 0.1, 0.3),
        nextMs: startMs + sensorOffsetMs(i, n, intervalMs),
        last: Number.NaN,
        attacks: [],
        attackPos: 0,
        param: 0,
        paramFor: NORMAL,
      });
    }
    for (const s of instances) {
      if (s.kind.startsWith('sensor_') && s.target >= 0 && s.target < n) this.sensors[s.target].attacks.push(s);
    }
    for (const s of this.sensors) s.attacks.sort((a, b) => a.start_ms - b.start_ms);
  }

  emit(untilMs: number, out: Draft[]): void {
    for (const s of this.sensors) {
      while (s.nextMs < untilMs) {
        out.push(this.reading(s, s.nextMs));
        s.nextMs += this.intervalMs;
      }
    }
  }

  private reading(s: SensorState, t: number): Draft {
    const rng = this.rng;
    // Always draw the noise, so that an instance does not shift the random stream of later readings.
    const normal = s.base + s.amplitude * Math.sin((2 * Math.PI * (t % DAY_MS)) / DAY_MS + s.phase) + s.sigma * rng.normal();
    while (s.attackPos < s.attacks.length && s.attacks[s.attackPos].end_ms < t) s.attackPos++;
    const att = s.attackPos < s.attacks.length && s.attacks[s.attackPos].start_ms <= t ? s.attacks[s.attackPos] : undefined;
    let v = quantise(normal);
    let instance = NORMAL;
    if (att !== undefined) {
      instance = att.index;
      const first = s.paramFor !== att.index;
      if (first) s.paramFor = att.index;
      switch (att.kind) {
        case 'sensor_spike':
          if (first) s.param = (s.base < 50 ? 1 : -1) * uniform(rng, SPIKE_OFFSET_C.min, SPIKE_OFFSET_C.max);
          v = quantise(normal + s.param);
          break;
        case 'sensor_drift':
          if (first) s.param = uniform(rng, DRIFT_RATE_C_PER_S.min, DRIFT_RATE_C_PER_S.max);
          v = quantise(normal + (s.param * (t - att.start_ms)) / 1000);
          break;
        case 'sensor_stuck':
          if (first) s.param = Number.isNaN(s.last) ? v : s.last;
          v = s.param;
          break;
        case 'sensor_out_of_range':
          if (first) s.param = rng.next() < 0.5 ? uniform(rng, SENSOR_RANGE_C.max + 5, SENSOR_RANGE_C.max + 40) : uniform(rng, SENSOR_RANGE_C.min - 20, SENSOR_RANGE_C.min - 5);
          v = quantise(s.param);
          break;
        default:
          instance = NORMAL;
      }
    }
    s.last = v;
    return {
      tsMs: t,
      instance,
      event: { type: 'sensor', id: '', ts: t / 1000, site: s.ident.site, sensor_id: s.ident.id, kind: 'temperature', value: v, unit: 'C' },
    };
  }
}

/** Rounds to 0.01 °C (the resolution of the simulated transmitters). */
function quantise(v: number): number {
  return Math.round(v * 100) / 100;
}
