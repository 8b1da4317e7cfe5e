/**
 * Device risk class of a sensor from its anomaly history, decaying with time.
 *
 * Each device keeps one exponentially decayed sum of its anomaly scores (the damped statistic of Kitsune's
 * AfterImage, Mirsky et al., NDSS 2018, §IV-A, with decay 2^(−Δt / halfLife)):
 *
 *   level(t) = level(t₀) · 2^(−(t − t₀) / halfLifeMs) + score
 *
 * Scores come from {@link SensorAnomalyDetector} (0 for a normal reading, 0.5 … 1 for an anomalous one), so the
 * level is roughly "anomalous readings in the last half-life". Class: High from `highAt`, Medium from
 * `mediumAt`, else Low. An out-of-range reading makes the device High at once: its level is raised to at least
 * `highAt` (plus its score), so it stays High until that decays below `highAt` again (with the defaults and
 * score 1: level 4, High for log₂(4/3) h ≈ 25 min, Low again 2 h after the reading).
 *
 * `lowSinceMs` is when the device became Low: its first reading when it has always been Low, otherwise the moment
 * its decayed level crossed below `mediumAt` (computed exactly: ⌈t₀ + halfLife · log₂(level / mediumAt)⌉). The
 * auto-allow rule (lists.ts) uses it.
 *
 * Time: `tsMs` of a reading older than the device's last one counts as that last time (no decay, no growth),
 * so out-of-order readings cannot raise a level by running time backwards.
 *
 * Bounded: at most `maxDevices` devices (≈ 100 bytes each); the least recently updated (committed) one is evicted
 * and, if seen again, starts Low with a fresh `lowSinceMs`.
 */
import type { RiskClass } from '../core/records.js';

/** Options of {@link SensorRiskTracker}. */
export interface SensorRiskOptions {
  /** Half-life of the anomaly level, ms, > 0. Default 3,600,000 (1 h). */
  readonly halfLifeMs: number;
  /** Decayed level from which a device is Medium, > 0. Default 1. */
  readonly mediumAt: number;
  /** Decayed level from which a device is High, > mediumAt. Default 3. */
  readonly highAt: number;
  /** Devices tracked at most (LRU eviction), positive integer. Default 10,000. */
  readonly maxDevices: number;
}

/** Defaults of {@link SensorRiskOptions}. */
export const SENSOR_RISK_DEFAULTS: Readonly<SensorRiskOptions> = Object.freeze({
  halfLifeMs: 3_600_000,
  mediumAt: 1,
  highAt: 3,
  maxDevices: 10_000,
});

/** A device's risk after an update. */
export interface DeviceRisk {
  readonly riskClass: RiskClass;
  /** Decayed anomaly level at the update's time (≥ 0). */
  readonly level: number;
}

/** Upper bound of a level (keeps it finite when many anomalies share one timestamp). */
const MAX_LEVEL = 1e9;

interface DeviceState {
  level: number;
  lastTsMs: number;
  lowSinceMs: number | null;
}

/** Low/Medium/High risk class per sensor from its decayed anomaly level; see the file comment. */
export class SensorRiskTracker {
  /** The options in force (defaults merged). */
  readonly options: Readonly<SensorRiskOptions>;
  private readonly devices = new Map<string, DeviceState>();

  /** @throws RangeError when an option is outside its documented range. */
  constructor(options: Partial<SensorRiskOptions> = {}) {
    const o = { ...SENSOR_RISK_DEFAULTS, ...options };
    if (!(o.halfLifeMs > 0) || !Number.isFinite(o.halfLifeMs)) throw new RangeError(`SensorRiskTracker: halfLifeMs must be > 0, got ${o.halfLifeMs}`);
    if (!(o.mediumAt > 0) || !(o.highAt > o.mediumAt) || !Number.isFinite(o.highAt)) {
      throw new RangeError(`SensorRiskTracker: need 0 < mediumAt < highAt, got ${o.mediumAt}, ${o.highAt}`);
    }
    if (!Number.isSafeInteger(o.maxDevices) || o.maxDevices < 1) throw new RangeError(`SensorRiskTracker: maxDevices must be a positive integer, got ${o.maxDevices}`);
    this.options = Object.freeze(o);
  }

  /** Number of devices tracked (≤ maxDevices). */
  get size(): number {
    return this.devices.size;
  }

  /**
   * Adds one reading's anomaly score for device `key` at `tsMs` and returns the device's class and level. With
   * `commit` false nothing changes (the answer is what a committed call would return). `outOfRange` true makes
   * the device High at once.
   * @throws RangeError when `anomalyScore` is negative or not finite, or `tsMs` is not finite.
   */
  update(key: string, anomalyScore: number, tsMs: number, commit: boolean, outOfRange = false): DeviceRisk {
    if (!(anomalyScore >= 0) || !Number.isFinite(anomalyScore)) throw new RangeError(`SensorRiskTracker.update: anomalyScore must be finite and ≥ 0, got ${anomalyScore}`);
    if (!Number.isFinite(tsMs)) throw new RangeError(`SensorRiskTracker.update: tsMs must be finite, got ${tsMs}`);
    const o = this.options;
    const st = this.devices.get(key);
    let ts = tsMs;
    let level: number;
    let lowSince: number | null;
    if (st === undefined) {
      level = anomalyScore;
      lowSince = null;
    } else {
      ts = Math.max(tsMs, st.lastTsMs);
      level = this.decayed(st, ts) + anomalyScore;
      lowSince = this.lowSinceAt(st, ts);
    }
    if (outOfRange) level = Math.max(level, o.highAt + anomalyScore);
    level = Math.min(level, MAX_LEVEL);
    const riskClass = this.classOf(level);
    if (riskClass !== 'Low') lowSince = null;
    else if (lowSince === null) lowSince = ts;
    if (commit) {
      if (st === undefined) {
        const map = this.devices;
        if (map.size >= o.maxDevices) map.delete(map.keys().next().value as string);
        map.set(key, { level, lastTsMs: ts, lowSinceMs: lowSince });
      } else {
        st.level = level;
        st.lastTsMs = ts;
        st.lowSinceMs = lowSince;
        this.devices.delete(key);
        this.devices.set(key, st);
      }
    }
    return { riskClass, level };
  }

  /**
   * Since when device `key` has been Low (epoch ms), or `null` when it is Medium or High or not tracked. With
   * `nowMs`, a device whose level has decayed below `mediumAt` since its last update counts as Low from the
   * crossing time; without it, the answer is as of the last update.
   */
  lowSinceMs(key: string, nowMs?: number): number | null {
    const st = this.devices.get(key);
    if (st === undefined) return null;
    if (nowMs === undefined || !(nowMs > st.lastTsMs)) return st.lowSinceMs;
    return this.lowSinceAt(st, nowMs);
  }

  /** Class and decayed level of device `key` at `nowMs` (Low with level 0 when not tracked). Changes nothing. */
  riskAt(key: string, nowMs: number): DeviceRisk {
    const st = this.devices.get(key);
    if (st === undefined) return { riskClass: 'Low', level: 0 };
    const level = this.decayed(st, Math.max(nowMs, st.lastTsMs));
    return { riskClass: this.classOf(level), level };
  }

  /** Forgets device `key`; true when it was tracked. */
  forget(key: string): boolean {
    return this.devices.delete(key);
  }

  private classOf(level: number): RiskClass {
    const o = this.options;
    return level >= o.highAt ? 'High' : level >= o.mediumAt ? 'Medium' : 'Low';
  }

  private decayed(st: DeviceState, ts: number): number {
    return st.level * Math.pow(2, -(ts - st.lastTsMs) / this.options.halfLifeMs);
  }

  /** `lowSinceMs` of `st` at `ts` ≥ its last update, before any new score. */
  private lowSinceAt(st: DeviceState, ts: number): number | null {
    if (st.lowSinceMs !== null) return st.lowSinceMs;
    const o = this.options;
    if (this.decayed(st, ts) >= o.mediumAt) return null;
    // level · 2^(−Δ / halfLife) = mediumAt ⇔ Δ = halfLife · log₂(level / mediumAt).
    return Math.min(ts, Math.ceil(st.lastTsMs + o.halfLifeMs * Math.log2(st.level / o.mediumAt)));
  }
}
