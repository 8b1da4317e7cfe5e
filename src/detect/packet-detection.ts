/**
 * What the network sensor's packet and protocol detectors report, and the helpers they share: the per-key
 * de-duplication gate with escalation ({@link AlertGate}), a bounded map with cheap approximate-LRU eviction for
 * per-key state ({@link GenerationalCache}), a bounded saturating set of 32-bit values for distinct counts
 * ({@link SaturatingIntSet}), a string hash for it ({@link hashString32}), and the mapping of an anomaly score to
 * a detection ({@link scoreSeverity}, {@link ScoreDetector}).
 *
 * Every detector (`scan-detector.ts`, `brute-force.ts`, `arp-spoof.ts`, `http-exploit.ts`, `modbus-writes.ts`,
 * `mqtt-abuse.ts`) is pure: inputs are plain values (hosts as the flow table prints them, epoch seconds), the
 * clock is the event time passed in (never `Date.now()`), and the output of one call is one
 * {@link PacketDetection} or `null`. Detectors sit on untrusted traffic, so a value that cannot be right (a
 * non-finite time, a port outside 0..65535, an unknown opcode) makes the call return `null` instead of throwing;
 * only bad constructor options (programmer misuse) throw `RangeError`.
 */
import type { SignalReason } from '../core/events.js';
import type { Severity, Technique } from '../core/records.js';
import { techniquesFor } from './attack-mapping.js';

/**
 * One detection of a packet or protocol detector. The sensor attaches it to a flow event as a `FlowSignal`
 * (`reason`, `severity`, `detail`, technique ids); the server maps the reason to techniques again and adds
 * the ids given here (see `alert-builder.ts`).
 */
export interface PacketDetection {
  /** Event time, epoch seconds (the time passed to the call that raised it). */
  readonly ts: number;
  readonly reason: SignalReason;
  readonly severity: Severity;
  /** The originator held responsible (conn.log `orig_h`): the scanner, the guesser, the ARP spoofer's own IP. */
  readonly origH: string;
  /** The responder concerned, when there is one (scanned host, login server, the IP whose ARP binding is contested). */
  readonly respH?: string;
  /** The responder port, when the detection is about one (host sweep, exploit attempt). */
  readonly respP?: number;
  /** conn.log `uid` of the flow that carried it, when the caller gave one. */
  readonly uid?: string;
  /** The offending link-layer address (ARP spoofing), `aa:bb:cc:dd:ee:ff`. */
  readonly mac?: string;
  /** Human-readable evidence (counts, window, matched pattern), at most a few hundred characters. */
  readonly detail: string;
  /** ATT&CK techniques (frozen, from `techniquesFor`; see attack-mapping.ts for the rationale). */
  readonly techniques: readonly Technique[];
}

/** Severity order, lowest first: 0 low, 1 medium, 2 high, 3 critical. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = Object.freeze({ low: 0, medium: 1, high: 2, critical: 3 });

/** Options of {@link AlertGate}. */
export interface AlertGateOptions {
  /** Seconds of event time after an emitted alert during which the same key stays quiet unless it escalates (≥ 0). */
  readonly reAlertInterval: number;
  /** Largest number of keys remembered (≥ 2); keys unused for longest are forgotten first (approximately). */
  readonly maxKeys: number;
}

/** Default gate: 5 minutes of event time, 65,536 keys. */
export const ALERT_GATE_DEFAULTS: Readonly<AlertGateOptions> = Object.freeze({ reAlertInterval: 300, maxKeys: 65_536 });

interface GateEntry {
  ts: number;
  rank: number;
}

/**
 * De-duplication of detections per key (a detector builds the key from reason, originator and, where it
 * applies, responder) with escalation:
 *
 * - the first detection of a key passes;
 * - a later one passes when at least `reAlertInterval` seconds of event time have passed since the last one that
 *   passed, or when its severity is higher than that one's (a scan first seen at `low` is reported again at
 *   `high` as soon as the evidence is there);
 * - an event time earlier than the last pass counts as "within the interval" (out-of-order input never re-alerts).
 *
 * Memory: at most `maxKeys` entries (key string + 2 numbers, about 100 B each with the map's overhead: 6.5 MiB
 * at the default 65,536), the least recently used evicted first, approximately ({@link GenerationalCache}); an
 * evicted key may alert again
 * before its interval ends, which errs on the side of reporting. Cost O(1) per call; keys are built by callers
 * only when a detection is about to be raised, which is rare.
 */
export class AlertGate {
  readonly #lru: GenerationalCache<string, GateEntry>;
  readonly #interval: number;

  /** @throws RangeError when `reAlertInterval` is negative or not finite, or `maxKeys` is not an integer ≥ 2. */
  constructor(options: Partial<AlertGateOptions> = {}) {
    const o = { ...ALERT_GATE_DEFAULTS, ...options };
    if (!(o.reAlertInterval >= 0) || !Number.isFinite(o.reAlertInterval)) {
      throw new RangeError(`reAlertInterval must be a finite number >= 0 (seconds), got ${o.reAlertInterval}`);
    }
    this.#interval = o.reAlertInterval;
    if (!Number.isSafeInteger(o.maxKeys) || o.maxKeys < 2) throw new RangeError(`maxKeys must be an integer >= 2, got ${o.maxKeys}`);
    this.#lru = new GenerationalCache(o.maxKeys);
  }

  /** Keys held (≤ `maxKeys`). */
  get size(): number {
    return this.#lru.size;
  }

  /**
   * Whether a detection of `key` at `ts` with `severity` should be emitted; records it when it is.
   * @param ts event time, epoch seconds (finite; callers check).
   */
  admit(key: string, ts: number, severity: Severity): boolean {
    const rank = SEVERITY_RANK[severity];
    const e = this.#lru.get(key);
    if (e === undefined) {
      this.#lru.set(key, { ts, rank });
      return true;
    }
    if (rank > e.rank || ts - e.ts >= this.#interval) {
      e.ts = ts;
      e.rank = rank;
      return true;
    }
    return false;
  }
}

/**
 * 32-bit FNV-1a hash of a string's UTF-16 code units, never 0 (0 maps to 1, so it can key a
 * {@link SaturatingIntSet}). Source: Fowler–Noll–Vo, draft-eastlake-fnv §2 (offset basis 2166136261, prime
 * 16777619). O(length), allocates nothing. Used for distinct-host counts: with at most a few hundred members
 * per set, the chance of any collision is below 10⁻⁵ (birthday bound n²/2³³).
 */
export function hashString32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h >>>= 0;
  return h === 0 ? 1 : h;
}

/**
 * An exact set of non-zero 32-bit unsigned values that stops growing at `limit` members: distinct counting up
 * to a threshold ("at least N distinct ports") in bounded memory, which is all a threshold detector needs.
 *
 * Open addressing with linear probing in a `Uint32Array` (0 = empty), multiplicative (Fibonacci) hashing
 * (Knuth, TAOCP vol. 3 §6.4), load factor ≤ 1/2. It starts at 8 slots and doubles, so a set that only ever sees
 * one or two values costs 32 B of table; at the limit the table has the next power of two ≥ 2·limit slots
 * (limit 100 → 256 slots, 1 KiB). {@link add} is O(1) expected and allocates only when the table doubles.
 */
export class SaturatingIntSet {
  #table = new Uint32Array(8);
  #bits = 3;
  #size = 0;
  /** Largest number of members; {@link add} ignores new values once reached. */
  readonly limit: number;

  /** @throws RangeError when `limit` is not an integer in 1..2²⁸. */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1 << 28) throw new RangeError(`limit must be an integer in 1..2^28, got ${limit}`);
    this.limit = limit;
  }

  /** Members held (≤ {@link limit}). */
  get size(): number {
    return this.#size;
  }

  /** True once {@link size} reached {@link limit}: the true distinct count is then "at least limit". */
  get saturated(): boolean {
    return this.#size >= this.limit;
  }

  /** Table slots in use by this set (for memory accounting in tests). */
  get capacity(): number {
    return this.#table.length;
  }

  /**
   * Adds `v` (a non-zero uint32; other numbers are coerced with `>>> 0`, and 0 becomes 1). Returns true when `v`
   * was not a member and was added; false when it was a member or the set is saturated.
   */
  add(v: number): boolean {
    let x = v >>> 0;
    if (x === 0) x = 1;
    if (this.#size >= this.limit) return false;
    if ((this.#size + 1) * 2 > this.#table.length) this.#grow();
    return this.#insert(x);
  }

  /** True when `v` is a member. */
  has(v: number): boolean {
    let x = v >>> 0;
    if (x === 0) x = 1;
    const t = this.#table;
    const mask = t.length - 1;
    for (let i = Math.imul(x, 0x9e3779b1) >>> (32 - this.#bits); ; i = (i + 1) & mask) {
      const y = t[i];
      if (y === 0) return false;
      if (y === x) return true;
    }
  }

  /** Removes every member; keeps the table (a window reset reuses it without allocating). */
  clear(): void {
    if (this.#size !== 0) this.#table.fill(0);
    this.#size = 0;
  }

  #insert(x: number): boolean {
    const t = this.#table;
    const mask = t.length - 1;
    for (let i = Math.imul(x, 0x9e3779b1) >>> (32 - this.#bits); ; i = (i + 1) & mask) {
      const y = t[i];
      if (y === x) return false;
      if (y === 0) {
        t[i] = x;
        this.#size++;
        return true;
      }
    }
  }

  #grow(): void {
    const old = this.#table;
    this.#table = new Uint32Array(old.length * 2);
    this.#bits++;
    this.#size = 0;
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.#insert(old[i]);
  }
}

/**
 * A bounded map for per-key detector state on per-flow paths, with approximate least-recently-used eviction
 * by generations (the "hashlru" scheme: two maps, the young one takes inserts and promotions, and when it
 * reaches half the capacity it becomes the old one and the previous old one is dropped whole).
 *
 * Why not {@link BoundedLru}: its exact recency costs a `Map` delete and set on every hit, and evicting the
 * oldest entry walks over the holes deletions leave at the front of V8's ordered hash table. Measured on this
 * development machine (Node 20, string keys, 32,768 entries): BoundedLru 150–520 ns per hit and ~16 µs per
 * insert under eviction churn; this cache costs one `Map` lookup per hit, a second one for a key in the old
 * generation, an insert on promotion, and a fresh `Map` every capacity/2 inserts, whatever the churn, so an
 * attacker creating keys cannot make eviction expensive.
 *
 * Guarantees: at most `capacity` entries are held (≤ capacity/2 per generation; a promoted key may sit in both
 * at once, counted twice); a key used since the last rotation is never evicted by the next one; a key unused for
 * `capacity` inserts of new keys is gone. Values are held by reference (a promoted value is the same object).
 */
export class GenerationalCache<K, V> {
  #young = new Map<K, V>();
  #old = new Map<K, V>();
  readonly #half: number;
  /** Largest number of entries held (an even number ≥ 2). */
  readonly capacity: number;

  readonly #onDrop: ((value: V) => void) | undefined;

  /**
   * @param onDrop called with each value the cache drops for good (not for values promoted to the young
   *   generation), e.g. to recycle state objects instead of leaving them to the garbage collector.
   * @throws RangeError when `capacity` is not an integer ≥ 2.
   */
  constructor(capacity: number, onDrop?: (value: V) => void) {
    if (!Number.isSafeInteger(capacity) || capacity < 2) throw new RangeError(`capacity must be an integer >= 2, got ${capacity}`);
    this.#half = Math.floor(capacity / 2);
    this.capacity = this.#half * 2;
    this.#onDrop = onDrop;
  }

  /** Entries held in both generations (≤ {@link capacity}). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** The value of `key`, promoting it to the young generation when it is only in the old one. */
  get(key: K): V | undefined {
    const v = this.#young.get(key);
    if (v !== undefined) return v;
    const o = this.#old.get(key);
    if (o !== undefined) this.#put(key, o);
    return o;
  }

  /** The value of `key` without promoting it. */
  peek(key: K): V | undefined {
    const v = this.#young.get(key);
    return v !== undefined ? v : this.#old.get(key);
  }

  /** Sets `key` in the young generation (rotating when it is full). */
  set(key: K, value: V): void {
    if (this.#young.has(key)) this.#young.set(key, value);
    else this.#put(key, value);
  }

  #put(key: K, value: V): void {
    this.#young.set(key, value);
    if (this.#young.size >= this.#half) {
      const dropped = this.#old;
      this.#old = this.#young;
      this.#young = new Map();
      const onDrop = this.#onDrop;
      if (onDrop !== undefined) for (const [k, v] of dropped) if (this.#old.get(k) !== v) onDrop(v);
    }
  }
}

/** True for a finite number (event times, scores). */
export function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** True for an integer port 0..65535. */
export function isPort(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 65535;
}

/** `s` cut to at most `max` characters, with `…` when cut (for `detail` strings). */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Options of {@link scoreSeverity} and {@link ScoreDetector}. */
export interface ScoreSeverityOptions {
  /** `score / threshold` at or above which the severity is `medium` (> 1; default 2). */
  readonly mediumRatio: number;
  /** `score / threshold` at or above which it is `high` (> mediumRatio; default `Infinity`: never high). */
  readonly highRatio: number;
}

/** Defaults of {@link scoreSeverity}: past the threshold `low`, twice past it `medium`, never `high`. */
export const SCORE_SEVERITY_DEFAULTS: Readonly<ScoreSeverityOptions> = Object.freeze({ mediumRatio: 2, highRatio: Infinity });

/**
 * Severity of an anomaly score against its alert threshold (higher score = more anomalous, both > 0), or null
 * below the threshold. With `r = score / threshold`: `r < 1` none, `1 ≤ r < mediumRatio` low, `mediumRatio ≤ r <
 * highRatio` medium, `r ≥ highRatio` high.
 *
 * Why no `high` by default: an anomaly score says "unlike the training traffic", not "attack"; the threshold
 * of KitNET (H3's lognormal-threshold: the 1 − 10⁻³ quantile of a log-normal fit to benign scores, Mirsky et
 * al., NDSS 2018 §V) leaves one benign packet in a thousand above it, and scores of benign novelties can be far
 * above. Operators who calibrated their site can set `highRatio`.
 * Returns null for a non-finite score or a threshold that is not a positive finite number.
 */
export function scoreSeverity(score: number, threshold: number, options: Partial<ScoreSeverityOptions> = {}): Severity | null {
  if (!isFiniteNumber(score) || !isFiniteNumber(threshold) || threshold <= 0) return null;
  const mediumRatio = options.mediumRatio ?? SCORE_SEVERITY_DEFAULTS.mediumRatio;
  const highRatio = options.highRatio ?? SCORE_SEVERITY_DEFAULTS.highRatio;
  const r = score / threshold;
  if (r < 1) return null;
  if (r >= highRatio) return 'high';
  if (r >= mediumRatio) return 'medium';
  return 'low';
}

/** Options of {@link ScoreDetector}. */
export interface ScoreDetectorOptions extends ScoreSeverityOptions, AlertGateOptions {
  /** The reason reported (default `Online Anomaly`, the KitNET/AfterImage score of H3's online detector). */
  readonly reason: SignalReason;
}

/**
 * Turns per-packet or per-flow anomaly scores into de-duplicated detections: `Online Anomaly` (the online
 * KitNET score, Mirsky et al., NDSS 2018) by default, or any other score-based signal reason. Severity by
 * {@link scoreSeverity}; de-duplicated per (reason, origH, respH) by an {@link AlertGate}. Techniques from
 * `techniquesFor(reason)` (none for `Online Anomaly`: a score says "unusual", not which technique).
 *
 * Cost: O(1); a string key and a result object are allocated only when the score is past the threshold.
 */
export class ScoreDetector {
  readonly #gate: AlertGate;
  readonly #o: ScoreDetectorOptions;

  /** @throws RangeError when `mediumRatio ≤ 1`, `highRatio ≤ mediumRatio`, or a gate option is invalid. */
  constructor(options: Partial<ScoreDetectorOptions> = {}) {
    const o: ScoreDetectorOptions = { ...SCORE_SEVERITY_DEFAULTS, ...ALERT_GATE_DEFAULTS, reason: 'Online Anomaly', ...options };
    if (!(o.mediumRatio > 1)) throw new RangeError(`mediumRatio must be > 1, got ${o.mediumRatio}`);
    if (!(o.highRatio > o.mediumRatio)) throw new RangeError(`highRatio must be > mediumRatio, got ${o.highRatio}`);
    this.#o = o;
    this.#gate = new AlertGate(o);
  }

  /** Alert keys held (≤ `maxKeys`). */
  get size(): number {
    return this.#gate.size;
  }

  /**
   * One score. Returns a detection when `score ≥ threshold` and the gate lets it through, else null.
   * @param ts event time, epoch seconds.
   * @param respH the packet's or flow's responder, if any (part of the de-duplication key).
   */
  observe(ts: number, origH: string, respH: string | undefined, score: number, threshold: number, uid?: string): PacketDetection | null {
    if (!isFiniteNumber(ts)) return null;
    const severity = scoreSeverity(score, threshold, this.#o);
    if (severity === null) return null;
    const reason = this.#o.reason;
    if (!this.#gate.admit(`${reason}|${origH}|${respH ?? ''}`, ts, severity)) return null;
    return {
      ts,
      reason,
      severity,
      origH,
      ...(respH === undefined ? {} : { respH }),
      ...(uid === undefined ? {} : { uid }),
      detail: `${reason}: score ${score.toPrecision(4)} is ${(score / threshold).toFixed(2)}× the threshold ${threshold.toPrecision(4)}`,
      techniques: techniquesFor(reason, { eventType: 'flow' }),
    };
  }
}
