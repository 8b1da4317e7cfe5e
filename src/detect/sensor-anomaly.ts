/**
 * Per-sensor anomaly detection for industrial transmitters (temperature, humidity, …): out of range, spike,
 * drift and stuck, from one reading at a time. Pure: time comes from the readings, no randomness.
 *
 * Per sensor (key) it keeps, over accepted readings only (see "Baseline hygiene"):
 * - a short window (`window`, default 120 readings) with rolling median m and MAD s (robust-stats.ts); the
 *   robust z of a reading x is |x − m| / max(s, minMad) (Hampel 1974; Rousseeuw & Croux 1993);
 * - a longer baseline of `baselineWindow` (default 256) readings split into an older and a newer half, each a
 *   rolling median; the two half medians give a resistant slope (the two-group median line of Brown & Mood 1951,
 *   Tukey's resistant line with halves, Tukey 1977 EDA ch. 10), clipped to ±`maxTrendPerHour`, so that the
 *   prediction p = m_new + slope · (t − centre_new) follows a slow process trend (a daily cycle) without lag;
 * - a two-sided CUSUM (Page, "Continuous inspection schemes", Biometrika 41, 1954) of the standardised residual
 *   r = (x − p) / max(s, minMad): S⁺ ← max(0, S⁺ + r − k), S⁻ ← max(0, S⁻ − r − k), each capped at 2h so that
 *   the alarm clears within about h/k readings once residuals are back to normal;
 * - the last 5 readings as received (spikes included), and the current run of identical values.
 *
 * Rules, in the order reasons are listed:
 * - `Sensor Out Of Range`: the value (°C for temperature) lies outside `ranges[kind]`. Such a reading changes no
 *   detection state (it is not physical; a broken wire reads −50 °C for ever).
 * - `Sensor Spike`: warm (≥ `warmup` accepted readings), z > `spikeZ`, and the reading is also more than `spikeZ`
 *   scales away from the median of the previous 5 readings as received. The second test makes a spike an
 *   isolated jump: a ramp moves ≈ one noise σ per reading and never passes it, and a step change passes it for
 *   its first 3 readings only (bursts of up to 3 readings are spikes; a longer shift is a level change, i.e.
 *   drift).
 * - `Sensor Drift`: warm and S⁺ > h or S⁻ > h (reported while the CUSUM stays above h).
 * - `Sensor Stuck`: at least `stuckCount` consecutive identical values (|Δ| < 1e-9) while the short window's
 *   MAD, taken when the run began and after warm-up, exceeded `minMad` (a live transmitter is never noise-free;
 *   a sensor quiet from the start is never flagged).
 *
 * Baseline hygiene: a spike reading, an out-of-range reading and a stuck reading (from the `stuckCount`-th
 * identical value on) are not pushed into the windows and do not update the CUSUM, so that they cannot pull the
 * median, inflate the MAD or fake a drift. Readings of a drift are pushed: the baseline then re-learns the new
 * level within about `baselineWindow` / 2 readings and the drift alarm ends (a lasting shift is reported while
 * it is new, not for ever).
 *
 * Choice of k (default 1.5, not 0.5): at 1 reading/s a one-sided CUSUM with k = 0.5, h = 8 on N(0, 1) residuals
 * has an in-control average run length of ≈ 1.9 · 10⁴ readings (Siegmund's approximation), i.e. ≈ 9 false drift
 * alarms per sensor per day; k = 1.5 raises it to ≈ 2 · 10¹¹ while a ramp of 0.05 °C/s on σ = 0.1 °C noise is
 * still flagged about 10 readings after onset (it reaches 5σ from the baseline within 10 s). Measured on the
 * synthetic fleet: see sensor-anomaly.test.ts.
 *
 * Sensors are tracked per key (the entity `sensor:<site>/<id>`); a new `kind` for a key, or a gap of more than
 * `resetAfterGapMs` since its last reading, starts that sensor afresh. At most `maxSensors` are tracked; the
 * least recently observed (committed) one is evicted. Memory ≈ 6.3 KB per sensor with the default windows
 * (≈ 63 MB at 10,000 sensors). `observe` costs O(window + baselineWindow) and allocates the result object (and
 * its reasons array when a reason fires).
 *
 * Limitation: the CUSUM assumes readings whose noise is independent from one reading to the next. A transmitter
 * with a strong internal low-pass filter (autocorrelated noise) raises more drift alarms; raise `driftH` for it.
 */
import type { SensorEventInput } from '../core/events.js';
import type { AlertReason } from '../core/records.js';
import { RollingMedianMad } from './robust-stats.js';

/** Kind of a sensor reading, as on the wire (`SensorEvent.kind`). */
export type SensorKind = SensorEventInput['kind'];

/** Reasons {@link SensorAnomalyDetector} reports (a subset of `ALERT_REASONS`). */
export type SensorReason = Extract<AlertReason, 'Sensor Out Of Range' | 'Sensor Spike' | 'Sensor Drift' | 'Sensor Stuck'>;

/** One reading as the detector needs it (a `SensorEvent` fits). */
export interface SensorReading {
  readonly kind: SensorKind;
  /** The reading in `unit`. */
  readonly value: number;
  /** For temperature `C`, `F` or `K` (also `°C`, `degC`, `celsius`, …, case-insensitive); ignored otherwise. */
  readonly unit: string;
  /** Event time, epoch milliseconds. */
  readonly tsMs: number;
}

/** The assessment of one reading. */
export interface SensorAssessment {
  /** Reasons that fired, in the order Out Of Range, Spike, Drift, Stuck; empty for a normal reading. */
  readonly reasons: readonly SensorReason[];
  /**
   * Anomaly score in [0, 1]: 0 when no reason fires; otherwise the largest of Out Of Range 1, Stuck 0.75,
   * Spike 0.5 … 0.9 (rising with z from spikeZ to 2·spikeZ), Drift 0.6 … 0.9 (rising with the CUSUM from h to 2h).
   */
  readonly score: number;
  /** The temperature in °C; `null` for other kinds, or for a temperature in an unknown unit (not assessed). */
  readonly valueC: number | null;
  /** Robust z of the reading against the short window, |x − median| / max(MAD, minMad); 0 without history. */
  readonly z: number;
}

/** Options of {@link SensorAnomalyDetector}. Values and scales are in the kind's unit (°C for temperature). */
export interface SensorAnomalyOptions {
  /**
   * Valid range [min, max] per kind, merged over the defaults (temperature −40 … 85 °C, the range of common
   * industrial transmitters; humidity 0 … 100 %RH). Kinds without a range are never out of range.
   */
  readonly ranges: Partial<Record<SensorKind, readonly [number, number]>>;
  /** Readings in the short (spike) window, integer in [5, 256]. Default 120 (2 min at 1 Hz). */
  readonly window: number;
  /** Accepted readings before spike, drift and stuck may fire, integer in [5, window]. Default 30. */
  readonly warmup: number;
  /** Robust z above which a reading is a spike. Default 6. */
  readonly spikeZ: number;
  /** Floor of the MAD scale, in the kind's unit (guards against quantised or very quiet sensors). Default 0.05. */
  readonly minMad: number;
  /** Readings in the drift baseline (two halves), even integer in [16, 512]. Default 256. */
  readonly baselineWindow: number;
  /** CUSUM reference value k, in scales (σ) per reading. Default 1.5 (see the file comment). */
  readonly driftK: number;
  /** CUSUM decision interval h, in scales. Default 8. */
  readonly driftH: number;
  /**
   * Largest process trend the baseline follows, in the kind's unit per hour, per kind (merged over the default
   * temperature 5 °C/h, about 4× the steepest slope of a 5 °C-amplitude daily cycle). Kinds without a value
   * follow no trend (the baseline is the newer half's median).
   */
  readonly maxTrendPerHour: Partial<Record<SensorKind, number>>;
  /** Consecutive identical values that make a sensor stuck, integer ≥ 2. Default 20. */
  readonly stuckCount: number;
  /** Sensors tracked at most (LRU eviction), positive integer. Default 10,000. */
  readonly maxSensors: number;
  /** A gap between readings longer than this (ms) restarts the sensor's baseline. Default 600,000 (10 min). */
  readonly resetAfterGapMs: number;
}

/** Defaults of {@link SensorAnomalyOptions}. */
export const SENSOR_ANOMALY_DEFAULTS: Readonly<SensorAnomalyOptions> = Object.freeze({
  ranges: Object.freeze({ temperature: [-40, 85] as const, humidity: [0, 100] as const }),
  window: 120,
  warmup: 30,
  spikeZ: 6,
  minMad: 0.05,
  baselineWindow: 256,
  driftK: 1.5,
  driftH: 8,
  maxTrendPerHour: Object.freeze({ temperature: 5 }),
  stuckCount: 20,
  maxSensors: 10_000,
  resetAfterGapMs: 600_000,
});

/** Readings as received kept for the spike isolation test. */
const RECENT_READINGS = 5;
/** Two values closer than this are identical for the stuck rule. */
const STUCK_EPSILON = 1e-9;
/** The older baseline half needs this many readings before a slope is estimated. */
const MIN_HALF_FOR_SLOPE = 32;
/** Weight of a new interval in the mean sampling interval (EWMA). */
const INTERVAL_EWMA_ALPHA = 1 / 32;
const NO_REASONS: readonly SensorReason[] = Object.freeze([]);
const NOT_ASSESSED: SensorAssessment = Object.freeze({ reasons: NO_REASONS, score: 0, valueC: null, z: 0 });

/**
 * Converts a temperature to °C: `C` as is, `F` by (v − 32) · 5/9, `K` by v − 273.15 (BIPM SI Brochure, 9th ed.,
 * §2.3.1). Unit names are matched case-insensitively, with or without `°`/`deg`, or spelled out. Returns `null`
 * for any other unit.
 */
export function toCelsius(value: number, unit: string): number | null {
  switch (unit.trim().toLowerCase()) {
    case 'c':
    case '°c':
    case 'degc':
    case 'celsius':
      return value;
    case 'f':
    case '°f':
    case 'degf':
    case 'fahrenheit':
      return ((value - 32) * 5) / 9;
    case 'k':
    case 'kelvin':
      return value - 273.15;
    default:
      return null;
  }
}

/** Detection state of one sensor. */
class SensorState {
  readonly win: RollingMedianMad;
  /** Newer and older halves of the drift baseline: values evicted from `newer` move into `older`. */
  readonly newer: RollingMedianMad;
  readonly older: RollingMedianMad;
  /** Readings as received (spikes included, out of range excluded). */
  readonly recent = new RollingMedianMad(RECENT_READINGS);
  lastTsMs = 0;
  /** Time of the last accepted reading and the mean interval between accepted readings (ms; 0 = unknown). */
  lastAcceptedTsMs = 0;
  intervalMs = 0;
  cusumPos = 0;
  cusumNeg = 0;
  lastValue = 0;
  runLength = 0;
  runMad = 0;

  constructor(
    public kind: SensorKind,
    window: number,
    half: number,
  ) {
    this.win = new RollingMedianMad(window);
    this.newer = new RollingMedianMad(half);
    this.older = new RollingMedianMad(half);
  }

  reset(kind: SensorKind): void {
    this.kind = kind;
    this.win.clear();
    this.newer.clear();
    this.older.clear();
    this.recent.clear();
    this.lastTsMs = 0;
    this.lastAcceptedTsMs = 0;
    this.intervalMs = 0;
    this.cusumPos = 0;
    this.cusumNeg = 0;
    this.lastValue = 0;
    this.runLength = 0;
    this.runMad = 0;
  }
}

/**
 * Out-of-range, spike, drift and stuck detection per sensor; see the file comment for the method, its sources,
 * memory and cost.
 */
export class SensorAnomalyDetector {
  /** The options in force (defaults merged). */
  readonly options: Readonly<SensorAnomalyOptions>;
  private readonly sensors = new Map<string, SensorState>();
  private readonly half: number;

  /** @throws RangeError when an option is outside its documented range. */
  constructor(options: Partial<SensorAnomalyOptions> = {}) {
    const o: SensorAnomalyOptions = {
      ...SENSOR_ANOMALY_DEFAULTS,
      ...options,
      ranges: { ...SENSOR_ANOMALY_DEFAULTS.ranges, ...options.ranges },
      maxTrendPerHour: { ...SENSOR_ANOMALY_DEFAULTS.maxTrendPerHour, ...options.maxTrendPerHour },
    };
    const int = (v: number, lo: number, hi: number, name: string): void => {
      if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`SensorAnomalyDetector: ${name} must be an integer in [${lo}, ${hi}], got ${v}`);
    };
    const pos = (v: number, name: string): void => {
      if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`SensorAnomalyDetector: ${name} must be a positive finite number, got ${v}`);
    };
    int(o.window, 5, 256, 'window');
    int(o.warmup, 5, o.window, 'warmup');
    int(o.baselineWindow, 16, 512, 'baselineWindow');
    if (o.baselineWindow % 2 !== 0) throw new RangeError(`SensorAnomalyDetector: baselineWindow must be even, got ${o.baselineWindow}`);
    int(o.stuckCount, 2, Number.MAX_SAFE_INTEGER, 'stuckCount');
    int(o.maxSensors, 1, Number.MAX_SAFE_INTEGER, 'maxSensors');
    pos(o.spikeZ, 'spikeZ');
    pos(o.minMad, 'minMad');
    pos(o.driftH, 'driftH');
    pos(o.resetAfterGapMs, 'resetAfterGapMs');
    if (!(o.driftK >= 0) || !Number.isFinite(o.driftK)) throw new RangeError(`SensorAnomalyDetector: driftK must be ≥ 0, got ${o.driftK}`);
    for (const [kind, r] of Object.entries(o.ranges)) {
      if (r !== undefined && !(r[0] <= r[1])) throw new RangeError(`SensorAnomalyDetector: range of ${kind} must be [min, max] with min ≤ max`);
    }
    for (const [kind, t] of Object.entries(o.maxTrendPerHour)) {
      if (t !== undefined && !(t >= 0)) throw new RangeError(`SensorAnomalyDetector: maxTrendPerHour of ${kind} must be ≥ 0`);
    }
    this.options = Object.freeze(o);
    this.half = o.baselineWindow / 2;
  }

  /** Number of sensors tracked (≤ maxSensors). */
  get size(): number {
    return this.sensors.size;
  }

  /**
   * Assesses one reading of sensor `key`. With `commit` true the reading then updates the sensor's state (and
   * makes it the most recently used); with `commit` false nothing changes, so the same call repeated gives the
   * same answer. A temperature in an unknown unit, or a non-finite value, is not assessed (no reasons, score 0,
   * `valueC` null) and changes nothing.
   */
  observe(key: string, e: SensorReading, commit: boolean): SensorAssessment {
    const o = this.options;
    let v: number;
    let valueC: number | null = null;
    if (e.kind === 'temperature') {
      const c = toCelsius(e.value, e.unit);
      if (c === null || !Number.isFinite(c)) return NOT_ASSESSED;
      v = c;
      valueC = c;
    } else {
      if (!Number.isFinite(e.value)) return NOT_ASSESSED;
      v = e.value;
    }
    const ts = e.tsMs;
    const known = this.sensors.get(key);
    const st = known !== undefined && known.kind === e.kind && !(ts - known.lastTsMs > o.resetAfterGapMs) ? known : undefined;
    const n = st === undefined ? 0 : st.win.count;
    const warm = st !== undefined && n >= o.warmup;

    let z = 0;
    let scale = o.minMad;
    let winMad = 0;
    if (st !== undefined && n > 0) {
      winMad = st.win.mad();
      scale = Math.max(winMad, o.minMad);
      z = Math.abs(v - st.win.median()) / scale;
    }

    const range = o.ranges[e.kind];
    if (range !== undefined && (v < range[0] || v > range[1])) {
      if (commit) this.touch(key, known, st, e.kind, ts);
      return { reasons: ['Sensor Out Of Range'], score: 1, valueC, z };
    }

    // Stuck: extend the run of identical values, or start one remembering the MAD before it.
    let runLength = 1;
    let runMad = warm ? winMad : 0;
    if (st !== undefined && st.runLength > 0 && Math.abs(v - st.lastValue) < STUCK_EPSILON) {
      runLength = st.runLength + 1;
      runMad = st.runMad;
    }
    const stuck = runLength >= o.stuckCount && runMad > o.minMad;

    // Spike: far from the window's median and from the median of the last readings as received.
    let spike = false;
    if (warm && z > o.spikeZ) spike = Math.abs(v - st.recent.median()) / scale > o.spikeZ;

    // Drift: CUSUM of the residual against the trend-following baseline.
    let cusumPos = st === undefined ? 0 : st.cusumPos;
    let cusumNeg = st === undefined ? 0 : st.cusumNeg;
    const accepted = !spike && !stuck;
    if (accepted && warm) {
      const r = (v - this.predict(st, ts, e.kind)) / scale;
      const cap = 2 * o.driftH;
      cusumPos = Math.min(cap, Math.max(0, cusumPos + r - o.driftK));
      cusumNeg = Math.min(cap, Math.max(0, cusumNeg - r - o.driftK));
    }
    const cusum = Math.max(cusumPos, cusumNeg);
    const drift = warm && cusum > o.driftH;

    if (commit) {
      const s = this.touch(key, known, st, e.kind, ts);
      s.recent.push(v);
      s.lastValue = v;
      s.runLength = runLength;
      s.runMad = runMad;
      s.cusumPos = cusumPos;
      s.cusumNeg = cusumNeg;
      if (accepted) {
        s.win.push(v);
        const moved = s.newer.push(v);
        if (moved !== undefined) s.older.push(moved);
        if (s.win.count > 1) {
          const dt = Math.min(Math.max(0, ts - s.lastAcceptedTsMs), o.resetAfterGapMs);
          s.intervalMs = s.intervalMs === 0 ? dt : s.intervalMs + INTERVAL_EWMA_ALPHA * (dt - s.intervalMs);
        }
        s.lastAcceptedTsMs = Math.max(s.lastAcceptedTsMs, ts);
      }
    }

    if (!spike && !drift && !stuck) return { reasons: NO_REASONS, score: 0, valueC, z };
    const reasons: SensorReason[] = [];
    let score = 0;
    if (spike) {
      reasons.push('Sensor Spike');
      score = Math.max(score, 0.5 + 0.4 * Math.min(1, (z - o.spikeZ) / o.spikeZ));
    }
    if (drift) {
      reasons.push('Sensor Drift');
      score = Math.max(score, 0.6 + 0.3 * Math.min(1, (cusum - o.driftH) / o.driftH));
    }
    if (stuck) {
      reasons.push('Sensor Stuck');
      score = Math.max(score, 0.75);
    }
    return { reasons, score, valueC, z };
  }

  /** Forgets sensor `key`; true when it was tracked. */
  forget(key: string): boolean {
    return this.sensors.delete(key);
  }

  /**
   * Baseline prediction at `ts`: the newer half's median, moved along the resistant slope between the two half
   * medians (clipped to the kind's maxTrendPerHour) from the newer half's centre to `ts`. Centres are placed by
   * the mean interval between accepted readings.
   */
  private predict(st: SensorState, ts: number, kind: SensorKind): number {
    const mNew = st.newer.median();
    const maxTrend = this.options.maxTrendPerHour[kind];
    const nOld = st.older.count;
    if (maxTrend === undefined || maxTrend === 0 || nOld < MIN_HALF_FOR_SLOPE || st.intervalMs <= 0) return mNew;
    const nNew = st.newer.count;
    const capPerMs = maxTrend / 3_600_000;
    // Centres: newer half (nNew − 1)/2 intervals before the last accepted reading, older half (nNew + nOld)/2 before that.
    let slope = (mNew - st.older.median()) / (((nOld + nNew) / 2) * st.intervalMs);
    slope = Math.min(capPerMs, Math.max(-capPerMs, slope));
    const ahead = Math.max(0, ts - st.lastAcceptedTsMs) + ((nNew - 1) / 2) * st.intervalMs;
    return mNew + slope * ahead;
  }

  /** The state to update for a committed reading (fresh after a kind change or gap), made most recently used. */
  private touch(key: string, known: SensorState | undefined, st: SensorState | undefined, kind: SensorKind, ts: number): SensorState {
    let s = st;
    if (s === undefined) {
      if (known !== undefined) {
        known.reset(kind);
        s = known;
      } else {
        s = new SensorState(kind, this.options.window, this.half);
      }
    }
    const map = this.sensors;
    if (known !== undefined) map.delete(key);
    else if (map.size >= this.options.maxSensors) map.delete(map.keys().next().value as string);
    map.set(key, s);
    s.lastTsMs = Math.max(s.lastTsMs, ts);
    return s;
  }
}
